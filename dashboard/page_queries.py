"""Each page's queries, declared once.

A page runs its independent queries together before it draws (`View.prefetch_page`: two at a time, so one
query is planned while another runs); their results land in the Funnel's result cache, where the page's
own calls find them. `funnel bench` times the same lists, so the bench measures what a page runs and
cannot drift from it. Each entry is the Funnel call the page body makes, with the same arguments (the
same call is the same cache key). Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.filters import Filters
from dashboard.periods import Period, has_ended

# the Scoring page's threshold slider starts here; the bench times its what-if at the same cut-off
DEFAULT_THRESHOLD = 50


@dataclass(frozen=True)
class PageQuery:
    label: str
    run: Callable[[object], object]  # Funnel -> result


def standard_periods(funnel, period: Period) -> tuple[Period, ...]:
    """The periods every page's KPI rows come from, in one query: the last 13 months, the comparison
    period and the period. One result serves the scorecard, the funnel, the trends and the SLA page, so
    moving between pages with the same filters runs no query."""
    return tuple(dict.fromkeys([*funnel.monthly_periods(13), period.previous(), period]))


def compared_period(period: Period, older) -> Period:
    """The Overview's "since the previous snapshot": the period as both snapshots saw it, or, when the
    older one was taken before the period ended, the comparison period that both cover."""
    if older is None or has_ended(period, older.as_of, older.policy.zone):
        return period
    return period.previous()


def default_plan(funnel, period: Period, filters: Filters) -> dict | None:
    """The Plan page as it opens: the month after the period against its own target (Funnel.plan_target);
    None when no target is set (the page then asks for one)."""
    planned, target, _ = funnel.plan_target(period, filters, False)
    if target is None:
        return None
    return funnel.plan(target, planned.start, planned.end, **filters.as_dict())


def page_queries(page: str, funnel, period: Period, filters: Filters, older=None) -> list[PageQuery]:
    """The queries `page` runs up front for one view (`older`: the previous snapshot's Funnel, Overview)."""
    standard = list(standard_periods(funnel, period))
    shared = PageQuery(
        "kpis: 13 months + previous + period (shared by Overview, Funnel, SLA)",
        lambda f: f.kpi_table(standard, filters),
    )
    if page == "overview":
        queries = [shared]
        if older is not None:
            compared = compared_period(period, older)
            queries.append(
                PageQuery("kpis: the period in the previous snapshot", lambda f: older.kpi_table([compared], filters))
            )
        return [
            *queries,
            PageQuery("pace: the quarter and the month", lambda f: f.pace(**filters.as_dict())),
            PageQuery("pace: the quarter day by day", lambda f: f.pace_daily(filters)),
            PageQuery("projection: the period", lambda f: f.projection_table([period], filters)),
        ]
    if page == "funnel":
        months = funnel.monthly_periods(13)
        return [shared, PageQuery("projection: 13 months", lambda f: f.projection_table(months, filters))]
    if page == "campaigns":
        return [
            PageQuery("attribution: six models", lambda f: f.attribution_table(period, filters, None)),
            PageQuery("kpis: one period by campaign", lambda f: f.kpi_table([period], filters, "campaign")),
        ]
    if page == "sla":
        return [
            shared,
            PageQuery("kpis: one period by segment", lambda f: f.kpi_table([period], filters, "segment")),
            PageQuery("kpis: one period by owner", lambda f: f.kpi_table([period], filters, "owner")),
            PageQuery(
                "records: rejection reasons", lambda f: f.records("rejection_reasons", period, filters, owner=None)
            ),
        ]
    if page == "scoring":
        return [
            PageQuery("scoring", lambda f: f.scoring_table(period, filters)),
            PageQuery("score_threshold", lambda f: f.threshold(period, filters, float(DEFAULT_THRESHOLD))),
        ]
    if page == "plan":
        return [
            PageQuery("kpis: the trailing mature months", lambda f: f.kpi_table([f.default_trailing()], filters)),
            PageQuery("plan: the month after, at its target", lambda f: default_plan(f, period, filters)),
        ]
    raise ValueError(f"no query declaration for page {page!r} (one of {', '.join(PAGES)})")


PAGES = ("overview", "funnel", "campaigns", "sla", "scoring", "plan")
