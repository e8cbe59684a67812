"""What every page draws the same way: the header, a metric with its definition, a chart, a records table.

Not a page (st.navigation lists the pages in app.py). No query and no metric here: values come from
the view's queries (app_state.View), labels and definitions from the metric registry, words from findings.
"""

from __future__ import annotations

import functools
import re

import polars as pl
import streamlit as st

from dashboard import app_state, charts, export, findings
from dashboard.app_state import View
from dashboard.metrics import BY_KEY, column_format, column_scale, format_value, metric_for
from dashboard.safe_output import PREVIEW_ROWS, WRITERS, as_text

SIDE_TITLES = {"marketing": "Marketing", "sales": "Sales", "joint": "Joint"}


def header(view: View, title: str, question: str) -> None:
    st.title(title)
    st.caption(
        f"{question}  \n**{view.label()}** vs {view.label(view.previous)} · "
        f"{as_text(view.filters.describe())} · snapshot {view.snapshot}, data as of {view.as_of_text()}"
    )


def wrap(text: str, width: int = 52) -> str:
    """A chart title broken into lines for a half-width chart (plotly titles do not wrap by themselves)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def side_heading(side: str, text: str | None = None) -> None:
    color = charts.SIDE_COLORS[side]
    st.markdown(
        f"<h3 style='color:{color};border-bottom:4px solid {color};padding-bottom:4px'>"
        f"{text or SIDE_TITLES[side]}</h3>",
        unsafe_allow_html=True,
    )


def metric(
    view: View, key: str, row: dict, prev: dict | None = None, label: str | None = None, suffix: str = ""
) -> None:
    """A registry metric: formatted value, change against `prev`, the definition as help text."""
    m = metric_for(key, view.policy)  # the SLA figures say "business hours" under that clock
    value = row.get(key)
    delta = findings.delta_text(key, value, prev.get(key), view.currency) if prev is not None else None
    st.metric(
        label or m.label,
        format_value(value, m.unit, view.currency) + suffix,
        delta=delta,
        delta_color=findings.delta_color(key),
        help=m.definition,
        border=True,
    )


def plot(fig, key: str | None = None, select: bool = False):
    """A charts.py figure at full width; with `select`, a click reruns the page with the clicked point."""
    config = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    if select:
        event = st.plotly_chart(
            fig, width="stretch", theme=None, key=key, on_select="rerun", selection_mode="points", config=config
        )
        image_downloads(fig, key)
        return event
    st.plotly_chart(fig, width="stretch", theme=None, key=key, config=config)
    image_downloads(fig, key)
    return None


def metric_table(
    frame: pl.DataFrame,
    text: dict[str, str],
    numbers: dict[str, tuple[str, str]],
    currency: str,
    height: int,
    where=st,
) -> None:
    """A table of registry metrics: the `text` columns (column -> header) as they are, the `numbers`
    (column -> (header, unit)) kept as numbers in the registry's table format (metrics.column_format), so
    that a header click sorts by value, not as text. `where`: the column or container to draw in."""
    shown = frame.select(
        *(pl.col(c).alias(header) for c, header in text.items()),
        *((pl.col(c).cast(pl.Float64) * column_scale(unit)).alias(header) for c, (header, unit) in numbers.items()),
    )
    where.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=height,
        column_config={
            header: st.column_config.NumberColumn(header, format=column_format(unit, currency))
            for header, unit in numbers.values()
        },
    )


def clicked(event, field: str = "customdata"):
    """The first clicked point's `field` (e.g. the stage or campaign_id a chart put in customdata)."""
    if not event:
        return None
    points = (event.get("selection") or {}).get("points") or []
    for point in points:
        value = point.get(field)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            return value
    return None


def records_table(view: View, name: str, title: str, file_stem: str, **extra) -> None:
    """The records behind a number: at most PREVIEW_ROWS on screen (the total stated), and downloads
    of every one of them (CSV and Parquet), streamed from the query when clicked."""
    frame, total = view.records_preview(name, PREVIEW_ROWS, **extra)
    st.subheader(as_text(title))
    if total == 0:
        st.info("No records behind this number for the current filters.")
        return
    record_preview(frame, total, name)
    record_downloads(view, name, total, file_stem, extra)


def record_preview(frame, total: int, name: str) -> None:
    """The table on screen: values as plain text (st.dataframe renders no Markdown or HTML)."""
    shown = "" if total <= frame.height else f" · the first {frame.height:,} shown; the download holds all {total:,}"
    st.caption(f"{total:,} records{shown} · the raw columns of the snapshot's {name}")
    st.dataframe(frame, width="stretch", hide_index=True, height=min(420, 38 + 35 * frame.height))


def record_downloads(view: View, name: str, total: int, file_stem: str, extra: dict) -> None:
    """CSV and Parquet buttons; each file is written from the query's batches only when clicked."""
    stem = f"{safe_file_stem(file_stem)}_{view.period.start}_{view.period.end}"
    for column, fmt, label in zip(st.columns([1, 1, 3]), ("csv", "parquet"), ("CSV", "Parquet")):
        with column:
            st.download_button(
                f"Download {total:,} records ({label})",
                functools.partial(view.records_file, name, fmt, **extra),
                file_name=f"{stem}.{fmt}",
                mime=WRITERS[fmt][1],
                key=f"download_{file_stem}_{fmt}",
                on_click="ignore",
            )


def safe_file_stem(text: str) -> str:
    """A download's file name made of the safe characters of `text` (an owner id may hold anything)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "records"


def warn_small(count, what: str = "cohort") -> None:
    text = findings.small_cohort_warning(count, what=what)
    if text:
        st.warning(text, icon="⚠️")


def image_downloads(fig, key: str | None = None) -> None:
    """PNG and SVG downloads of a chart, rendered only when clicked (export.figure_downloads: the data is a
    callable Streamlit runs on the click, so a rerun renders nothing). Disabled, with the reason, when this
    machine has no Chrome/Chromium for kaleido."""
    title = re.sub(r"<[^>]+>", " ", str(fig.layout.title.text or "")) or key or "chart"
    name = export.slug(title)[:60].strip("-") or "chart"
    reason = export.unavailable_reason()
    with st.popover("Image", icon=":material/download:", help=reason or "Download this chart as PNG or SVG"):
        if reason:
            st.caption(f"Image downloads are off: {reason}")
        for d in export.figure_downloads(fig, name):
            st.download_button(
                d.label,
                d.data,
                d.file_name,
                d.mime,
                key=f"image_{key or name}_{d.file_name}",
                on_click="ignore",
                disabled=reason is not None,
                help=reason,
            )


def projected_rates(view: View, keys: tuple[str, ...]) -> None:
    """Beside a maturing period's cohort rates (never instead of them): their projected final rates, and the
    mature cohorts they were learned from."""
    projected = view.projection((view.period,))
    steps = {r["step"]: r["projected_rate"] for r in projected.iter_rows(named=True)}
    if not any(steps.get(k.removesuffix("_rate")) is not None for k in keys):
        return
    st.caption(
        "Projected final rates (never instead of the observed ones; learned from the mature cohorts of "
        f"{app_state.learned_from(view)}): "
        + " · ".join(
            f"{BY_KEY[k].label} projected {format_value(steps.get(k.removesuffix('_rate')), 'rate')}" for k in keys
        )
        + f". {BY_KEY['projected_rate'].definition}"
    )


def where_we_will_land(view: View) -> None:
    """The Overview's strip for the fiscal quarter holding as_of: bookings to date, pace, run rate, coverage
    and MQL pace, and cumulative bookings and MQLs against the target line (Funnel.pace, Funnel.pace_daily)."""
    side_heading("joint", "Where we will land")
    landing = view.pace()
    quarter, month = landing["quarter"], landing["month"]
    st.markdown(f"**{as_text(findings.pace_finding(quarter, view.currency, view.scope))}**")
    for column, key in zip(
        st.columns(5), ("bookings_to_date", "bookings_pace", "bookings_run_rate", "pipeline_coverage", "mqls_pace")
    ):
        with column:
            metric(view, key, quarter)
    daily = view.pace_daily()
    for column, key in zip(st.columns(2), ("bookings", "mqls")):
        with column:
            plot(
                charts.pace_chart(daily, quarter, key, f"{BY_KEY[key].label}, {quarter['label']}", view.currency),
                key=f"pace_{key}",
            )
    st.caption(
        f"Day {quarter['elapsed_days']:.1f} of {quarter['days']} of {quarter['label']}; this month "
        f"({month['label']}): bookings {format_value(month['bookings_to_date'], 'currency', view.currency)} "
        f"of {format_value(month['bookings_target'], 'currency', view.currency)} "
        f"({format_value(month['bookings_pace'], 'rate')} of pace). Expected to date = target x days elapsed "
        "/ days in the period; run rate = to date x days in the period / days elapsed."
    )
