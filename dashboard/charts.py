"""Charts: pure functions from query results (Polars frames or dicts) to plotly Figures.

No Streamlit, no SQL, no metric computed here: a chart draws numbers the queries returned, formatted by
the metric registry. The pages and the meeting deck (deck/) draw the same figures, in the same
colours: marketing's numbers in MARKETING_COLOR, sales' in SALES_COLOR, shared ones in JOINT_COLOR.
Sizes are for a projector: large fonts, few gridlines, values written on the marks.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl

from dashboard.metrics import BY_KEY, axis_format, currency_symbol, format_value
from dashboard.periods import Period, month_end


def as_label(value) -> str:
    """A data value (a campaign name, an owner id, a segment) as plotly text that shows it as typed:
    plotly reads <b>, <a href>, <span style> ... in labels and titles, so <, > and & become entities."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def title_text(title: str) -> str:
    """A title (a finding that may name data values) escaped as as_label does, keeping its <br> breaks."""
    return "<br>".join(as_label(part) for part in title.split("<br>"))


# One colour per side of the meeting, on every page and slide (colour-blind safe pair: blue / orange).
MARKETING_COLOR = "#1F6FB4"
SALES_COLOR = "#E07B12"
JOINT_COLOR = "#5B4B9A"
MUTED_COLOR = "#9AA5B1"  # immature cohorts, previous periods, targets
TARGET_COLOR = "#3C4650"  # target and floor lines
SIDE_COLORS = {"marketing": MARKETING_COLOR, "sales": SALES_COLOR, "joint": JOINT_COLOR}
# the attribution models, the policy's model drawn in the marketing colour by attribution_compare_chart
MODEL_COLORS = ("#1F6FB4", "#6BAED6", "#2CA58D", "#8E6BBF", "#C7A34B", "#7F8C8D")

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=17, color="#1F2933")
TITLE_SIZE = 22
GRID_COLOR = "#E4E7EB"
# A small house template instead of "plotly_white": applying plotly's own templates deep-copies their
# colour scales, ~70 ms per figure, which a page of five charts redrawn on every filter change can't afford.
TEMPLATE = go.layout.Template(
    layout=dict(
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=FONT,
        hovermode="closest",
        colorway=[MARKETING_COLOR, SALES_COLOR, JOINT_COLOR, "#2CA58D", "#C7A34B", "#7F8C8D"],
        xaxis=dict(
            gridcolor=GRID_COLOR, linecolor="#CBD2D9", zerolinecolor=GRID_COLOR, ticks="", title=dict(standoff=12)
        ),
        yaxis=dict(
            gridcolor=GRID_COLOR, linecolor="#CBD2D9", zerolinecolor=GRID_COLOR, ticks="", title=dict(standoff=12)
        ),
    )
)

# the stage funnel of a kpi_table row: column, label, side
FUNNEL_STAGES = (
    ("funnel_leads", "Leads", "marketing"),
    ("funnel_mqls", "MQL", "marketing"),
    ("funnel_sals", "SAL", "sales"),
    ("funnel_sqls", "SQL", "sales"),
    ("funnel_opportunities", "Opportunity", "sales"),
    ("funnel_won", "Won", "sales"),
)
# the reverse-funnel plan: key of Funnel.plan()["needed"], label, side
PLAN_STAGES = (
    ("leads", "Leads", "marketing"),
    ("mqls", "MQLs", "marketing"),
    ("sqls", "SQLs", "sales"),
    ("opportunities", "Opportunities", "sales"),
    ("won_deals", "Won deals", "sales"),
)


def side_color(metric_key: str) -> str:
    m = BY_KEY.get(metric_key)
    return SIDE_COLORS.get(m.side if m else "joint", JOINT_COLOR)


def lighter(color: str, amount: float = 0.55) -> str:
    """The colour mixed with white (0 = unchanged, 1 = white)."""
    r, g, b = (int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02X}" for c in mix)


def _merge(base: dict, extra: dict) -> dict:
    """base updated by extra, nested dicts merged (extra wins)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def figure(traces: list[dict], layout: dict | None = None, title: str | None = None, height: int = 460) -> go.Figure:
    """A Figure in the house style, built in one step from plain dicts.

    White, large type, a title that states the finding, legend on top. One construction validates once;
    plotly's incremental update_layout / update_xaxes / add_hline calls cost ~20-80 ms each, which adds up
    on a page redrawn at every filter change.
    """
    base = dict(
        template=TEMPLATE,
        font=FONT,
        height=height,
        margin=dict(l=10, r=30, t=80 + 40 * title.count("<br>") if title else 40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, font=dict(size=16)),
        hoverlabel=dict(font=dict(size=16)),
        separators=".,",
        xaxis=dict(showgrid=False, automargin=True, tickfont=dict(size=16)),
        yaxis=dict(gridcolor=GRID_COLOR, automargin=True, tickfont=dict(size=16), zeroline=False, ticksuffix=" "),
    )
    if title:
        # anchored to the top of the figure, so a title of several lines pushes the legend down, not over it
        # (plotly anchors a title of several lines by its first line and sets the others above it, out of
        # the figure: the pad moves it down by the lines it adds)
        base["title"] = dict(
            text=title_text(title),
            font=dict(size=TITLE_SIZE),
            x=0,
            xanchor="left",
            yref="container",
            y=1,
            yanchor="top",
            pad=dict(t=12 + 28 * title.count("<br>")),
        )
    return go.Figure(data=traces, layout=_merge(base, layout or {}))


def style(fig: go.Figure, title: str | None = None, height: int = 460) -> go.Figure:
    """The house style applied to a Figure built elsewhere (slower than figure(); for callers outside)."""
    return figure(list(fig.to_dict().get("data", [])), fig.to_dict().get("layout", {}), title, height)


def empty(message: str, title: str | None = None, height: int = 300) -> go.Figure:
    """A figure that says why there is nothing to draw, instead of empty axes."""
    return figure(
        [],
        dict(
            annotations=[
                dict(
                    text=message,
                    showarrow=False,
                    x=0.5,
                    y=0.5,
                    xref="paper",
                    yref="paper",
                    font=dict(size=20, color=TARGET_COLOR),
                )
            ],
            xaxis=dict(visible=False),
            yaxis=dict(visible=False),
        ),
        title,
        height,
    )


def _rows(frame) -> list[dict]:
    if frame is None:
        return []
    if isinstance(frame, pl.DataFrame):
        return frame.to_dicts()
    return [dict(r) for r in frame]


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and value != value) else float(value)


def month_of(period_key: str) -> dt.date:
    return Period.from_key(period_key).start


# -- the stage funnel ----------------------------------------------------------------------------------
def funnel_chart(row: Mapping, title: str | None = None) -> go.Figure:
    """The period's lead cohort stage by stage (a kpi_table row): counts, % of previous, % of first.

    Each bar carries its stage column in customdata so a click can ask for the records behind it.
    """
    counts = [int(row.get(key) or 0) for key, _, _ in FUNNEL_STAGES]
    if not counts[0]:
        return empty("No leads in this cohort", title)
    texts = [f"{counts[0]:,}"]
    for i in range(1, len(counts)):
        of_prev = counts[i] / counts[i - 1] if counts[i - 1] else None
        texts.append(
            f"{counts[i]:,}  ·  {format_value(of_prev, 'rate')} of previous  ·  "
            f"{format_value(counts[i] / counts[0], 'rate')} of leads"
        )
    return stage_bars(
        FUNNEL_STAGES,
        counts,
        texts,
        title,
        x_max=counts[0] * 1.1,
        bargap=0.25,
        margin_right=40,
        height=440,
        name="cohort",
        customdata=[key for key, _, _ in FUNNEL_STAGES],
        hoverinfo="text",
        hovertext=[f"{BY_KEY[key].label}: {n:,}" for (key, _, _), n in zip(FUNNEL_STAGES, counts)],
    )


def stage_bars(
    stages,
    values: list,
    text: list[str],
    title: str | None,
    *,
    x_max: float,
    bargap: float,
    margin_right: int,
    height: int,
    **bar_extra,
) -> go.Figure:
    """Funnel stages (key, label, side) as horizontal bars top-down, in each side's colour, each with its
    text beside it: the stage funnel and the plan draw their stages the same way."""
    bar = dict(
        type="bar",
        x=[v or 0 for v in values],
        y=[label for _, label, _ in stages],
        orientation="h",
        text=text,
        textposition="outside",
        cliponaxis=False,
        textfont=dict(size=17),
        marker=dict(color=[SIDE_COLORS[side] for _, _, side in stages]),
        **bar_extra,
    )
    return figure(
        [bar],
        dict(
            showlegend=False,
            bargap=bargap,
            margin=dict(r=margin_right),
            yaxis=dict(autorange="reversed", showgrid=False, tickfont=dict(size=18)),
            xaxis=dict(visible=False, range=[0, x_max]),
        ),
        title,
        height=height,
    )


# -- a metric month by month -------------------------------------------------------------------------
def trend_chart(
    frame: pl.DataFrame,
    metric_key: str,
    title: str | None = None,
    target_key: str | None = None,
    values: bool = True,
    currency: str = "USD",
    notes=(),
    x_labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """kpi_table over monthly periods: mature cohorts solid, immature ones dashed and grey.

    A cohort metric's immature months are never drawn as if they were comparable: they continue the line
    from the last mature month as a separate, dashed, grey series labelled "still maturing". `target_key`
    adds a target line (e.g. mqls with mql_target); `values` writes each month's value on its point;
    `notes` (chart notes, see note_layers) are drawn on the months they fall in (monthly charts only).
    `x_labels` (period_key -> name, e.g. "FY2027 Q1") draws periods other than months, by those names.
    """
    rows = _rows(frame)
    m = BY_KEY[metric_key]
    if not rows:
        return empty("No months to show", title)
    x = [x_labels[r["period_key"]] if x_labels else month_of(r["period_key"]) for r in rows]
    y = [_num(r.get(metric_key)) for r in rows]
    keys = [r["period_key"] for r in rows]
    mature = [bool(r.get("cohort_mature", True)) for r in rows]
    color = side_color(metric_key)
    cohort_metric = m.is_cohort
    text = [format_value(v, m.unit, currency) if (v is not None and values) else "" for v in y]
    mode = "lines+markers+text" if values else "lines+markers"
    line = dict(type="scatter", x=x, mode=mode, textposition="top center", customdata=keys)
    if cohort_metric and not all(mature):
        last = max((i for i, ok in enumerate(mature) if ok), default=None)
        traces = [
            dict(
                line,
                y=[v if ok else None for v, ok in zip(y, mature)],
                name=f"{m.label} (mature cohorts)",
                line=dict(color=color, width=4),
                marker=dict(size=10),
                textfont=dict(size=14),
                text=[t if ok else "" for t, ok in zip(text, mature)],
            ),
            dict(
                line,
                y=[v if (not ok or i == last) else None for i, (v, ok) in enumerate(zip(y, mature))],
                name=f"{m.label} (still maturing: will rise)",
                line=dict(color=MUTED_COLOR, width=3, dash="dash"),
                marker=dict(size=10, symbol="circle-open", color=MUTED_COLOR),
                text=[t if not ok else "" for t, ok in zip(text, mature)],
                textfont=dict(size=14, color="#616E7C"),
            ),
        ]
    else:
        traces = [
            dict(
                line,
                y=y,
                name=m.label,
                line=dict(color=color, width=4),
                marker=dict(size=10),
                text=text,
                textfont=dict(size=14),
            )
        ]
    if target_key:
        traces.append(
            dict(
                type="scatter",
                x=x,
                y=[_num(r.get(target_key)) for r in rows],
                mode="lines",
                name=BY_KEY[target_key].label if target_key in BY_KEY else target_key,
                line=dict(color=TARGET_COLOR, width=2, dash="dot", shape="hv"),
            )
        )
    # every month when there is room for its label, else every third; never rotated (named periods: each)
    xaxis = (
        dict(type="category", tickangle=0)
        if x_labels
        else dict(tickformat="%b %y", dtick="M1" if (values and len(rows) <= 13) else "M3", tickangle=0)
    )
    layout = dict(xaxis=xaxis, yaxis=dict(rangemode="tozero", **axis_format(m.unit, currency)))
    if x_labels:  # named periods have no days to place a note on
        return figure(traces, layout, title)
    return figure(*note_layers(x, notes, traces, layout), title)


def sourced_chart(row: Mapping, title: str | None = None, currency: str = "USD") -> go.Figure:
    """A kpi_table row's pipeline by effective origin (adds up to the pipeline), and the influenced figure apart.

    Influenced overlaps the sourced bars, so it is drawn as its own bar below a gap, never stacked on them.
    """
    parts = (
        ("marketing_sourced_pipeline", "Marketing-sourced", MARKETING_COLOR),
        ("sales_sourced_pipeline", "Sales-sourced", SALES_COLOR),
        ("other_sourced_pipeline", "Partner/other-sourced", JOINT_COLOR),
    )
    total = _num(row.get("pipeline")) or 0.0
    if not total:
        return empty("No pipeline created in this period", title, height=260)
    amount = currency_symbol(currency) + "%{x:,.0f}"  # the hover's full amount, in the reporting currency
    traces = []
    for key, label, color in parts:
        v = _num(row.get(key)) or 0.0
        traces.append(
            dict(
                type="bar",
                y=["Pipeline by source"],
                x=[v],
                orientation="h",
                name=label,
                marker=dict(color=color),
                textposition="inside",
                insidetextanchor="middle",
                text=[f"{label}<br>{format_value(v, 'currency', currency)} · {v / total:.0%}"],
                textfont=dict(size=15, color="white"),
                hovertemplate=f"{label}: {amount}<extra></extra>",
            )
        )
    influenced = _num(row.get("marketing_influenced_pipeline")) or 0.0
    traces.append(
        dict(
            type="bar",
            y=["Marketing-influenced<br>(overlaps, not added)"],
            x=[influenced],
            orientation="h",
            name="Marketing-influenced",
            cliponaxis=False,
            textposition="outside",
            marker=dict(color=lighter(MARKETING_COLOR, 0.5), pattern=dict(shape="/", fgcolor=MARKETING_COLOR)),
            text=[f"{format_value(influenced, 'currency', currency)} · {influenced / total:.0%} of pipeline"],
            textfont=dict(size=15, color="#102A43"),
            hovertemplate=f"Marketing-influenced: {amount}<extra></extra>",
        )
    )
    return figure(
        traces,
        dict(
            barmode="stack",
            showlegend=False,
            bargap=0.35,
            yaxis=dict(autorange="reversed", showgrid=False, tickfont=dict(size=16)),
            xaxis=dict(visible=False),
        ),
        title,
        height=270,
    )


# -- campaigns ---------------------------------------------------------------------------------------
def campaign_roi_chart(
    frame: pl.DataFrame, title: str | None = None, top: int = 12, currency: str = "USD"
) -> go.Figure:
    """attribution_table for one model: cost vs attributed bookings per campaign, ROI in the label.

    Campaigns that spent money in the period first (their ROI is defined), then those credited with bookings
    from earlier spend; within each, the most cost plus attributed bookings on top; customdata = campaign_id.
    """
    if isinstance(frame, pl.DataFrame) and {"campaign_id", "cost", "attributed_bookings"} <= set(frame.columns):
        # only the columns drawn, and only the rows that can make the top: the `top` largest by cost +
        # bookings among those with cost, and as many among those without (the order below then picks from
        # them exactly as from every row); a dict per campaign is costly at 10M leads (50k campaigns)
        amount = pl.col("cost").fill_null(0) + pl.col("attributed_bookings").fill_null(0)
        frame = (
            frame.filter(pl.col("campaign_id").is_not_null() & (amount > 0))
            .with_columns(_spent=pl.col("cost").fill_null(0) > 0, _amount=amount)
            .sort(["_amount", "campaign_id"], descending=[True, False])
            .group_by("_spent", maintain_order=True)
            .head(top)
            .select([c for c in ("campaign_id", "name", "cost", "attributed_bookings", "roi") if c in frame.columns])
        )
    rows = [r for r in _rows(frame) if r.get("campaign_id") is not None]
    rows = [r for r in rows if (r.get("cost") or 0) + (r.get("attributed_bookings") or 0) > 0]
    rows.sort(
        key=lambda r: (
            not (r.get("cost") or 0) > 0,
            -((r.get("cost") or 0) + (r.get("attributed_bookings") or 0)),
            r["campaign_id"],
        )
    )
    rows = rows[:top]
    if not rows:
        return empty("No campaign had cost or attributed bookings in this period", title)
    names = [
        as_label(_short(r["name"], 38))
        + ("  ·  ROI " + format_value(r["roi"], "ratio") if r.get("roi") is not None else "  ·  no cost in period")
        for r in rows
    ]
    ids = [r["campaign_id"] for r in rows]
    bars = [
        dict(
            type="bar",
            y=names,
            x=[r.get(key) or 0 for r in rows],
            orientation="h",
            name=label,
            marker=dict(color=color),
            customdata=ids,
            textposition="outside",
            cliponaxis=False,
            text=[format_value(r.get(key), "currency", currency) for r in rows],
            textfont=dict(size=14),
        )
        for key, label, color in (
            ("cost", "Campaign cost", lighter(MARKETING_COLOR, 0.55)),
            ("attributed_bookings", "Attributed bookings", MARKETING_COLOR),
        )
    ]
    return figure(
        bars,
        dict(
            barmode="group",
            bargap=0.25,
            margin=dict(r=80),
            yaxis=dict(autorange="reversed", showgrid=False, tickfont=dict(size=15)),
            xaxis=dict(showgrid=True, gridcolor=GRID_COLOR, **axis_format("currency", currency)),
        ),
        title,
        height=max(420, 48 * len(rows) + 140),
    )


def _short(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def attribution_shares(frame: pl.DataFrame) -> dict[tuple[str, str], float | None]:
    """(model, channel) -> share of the model's attributed pipeline (a display share, not a metric)."""
    if isinstance(frame, pl.DataFrame):
        # four plain columns, not a dict per row (6 models x 50k campaigns at 10M leads: 0.6 s of dicts);
        # the same rows in the same order, so the same sums to the last bit
        columns = [frame[c].to_list() for c in ("model", "channel", "campaign_id", "attributed_pipeline")]
    else:
        rows = _rows(frame)
        columns = [[r.get(c) for r in rows] for c in ("model", "channel", "campaign_id", "attributed_pipeline")]
    totals: dict[str, float] = {}
    sums: dict[tuple[str, str], float] = {}
    for model, channel, campaign_id, pipeline in zip(*columns):
        if campaign_id is None:
            continue
        v = pipeline or 0.0
        totals[model] = totals.get(model, 0.0) + v
        key = (model, channel or "(none)")
        sums[key] = sums.get(key, 0.0) + v
    return {k: (v / totals[k[0]] if totals[k[0]] else None) for k, v in sums.items()}


def attribution_compare_chart(
    frame: pl.DataFrame,
    title: str | None = None,
    policy_model: str | None = None,
    top: int = 8,
    shares: dict[tuple[str, str], float | None] | None = None,
) -> go.Figure:
    """attribution_table for all models: each channel's share of attributed pipeline under each model.

    Channels are ordered by how much the models disagree on them (largest spread first), so where the
    choice of model matters is on the left. `shares`: attribution_shares(frame) when the caller has it already.
    """
    shares = attribution_shares(frame) if shares is None else shares
    if not shares or all(v is None for v in shares.values()):
        return empty("No attributed pipeline in this period", title)
    models = list(
        dict.fromkeys(
            frame["model"].to_list() if isinstance(frame, pl.DataFrame) else (r["model"] for r in _rows(frame))
        )
    )
    if policy_model in models:
        models = [policy_model] + [m for m in models if m != policy_model]
    channels = sorted({c for _, c in shares})
    spread = {
        c: max(shares.get((m, c)) or 0 for m in models) - min(shares.get((m, c)) or 0 for m in models) for c in channels
    }
    weight = {c: max(shares.get((m, c)) or 0 for m in models) for c in channels}
    channels = sorted(channels, key=lambda c: (-spread[c], -weight[c], c))[:top]
    traces = []
    for i, model in enumerate(models):
        label = model.replace("_", " ") + (" (policy)" if model == policy_model else "")
        traces.append(
            dict(
                type="bar",
                x=[as_label(c.replace("_", " ")) for c in channels],
                name=label,
                y=[shares.get((model, c)) for c in channels],
                marker=dict(color=MODEL_COLORS[i % len(MODEL_COLORS)]),
                hovertemplate="%{x}: %{y:.1%} of pipeline credit<extra>" + label + "</extra>",
            )
        )
    return figure(
        traces,
        dict(
            barmode="group",
            bargap=0.2,
            bargroupgap=0.05,
            yaxis=dict(**axis_format("rate"), title=dict(text="share of attributed pipeline", font=dict(size=15))),
        ),
        title,
        height=480,
    )


# -- SLA -----------------------------------------------------------------------------------------------
def sla_chart(
    frame: pl.DataFrame,
    title: str | None = None,
    min_acceptance_rate: float | None = None,
    hours: float | None = None,
    days: float | None = None,
    notes=(),
    units: tuple[str, str] = ("h", "d"),
) -> go.Figure:
    """Monthly kpi_table: sales' response and decision rates next to marketing's acceptance rate and its floor.
    `units`: how H and D are spoken of (metrics.sla_units: "business hours", "working days" under that clock)."""
    rows = _rows(frame)
    if not rows:
        return empty("No months to show", title)
    x = [month_of(r["period_key"]) for r in rows]
    series = (
        (
            "sla_response_rate",
            f"Response within {hours:g} {units[0]} (sales)" if hours else "Response within SLA (sales)",
            SALES_COLOR,
            "solid",
        ),
        (
            "sla_decision_rate",
            f"Decision within {days:g} {units[1]} (sales)" if days else "Decision within SLA (sales)",
            lighter(SALES_COLOR, 0.35),
            "dot",
        ),
        ("acceptance_rate", "MQLs accepted (marketing)", MARKETING_COLOR, "solid"),
    )
    traces = [
        dict(
            type="scatter",
            x=x,
            y=[_num(r.get(key)) for r in rows],
            mode="lines+markers",
            name=label,
            line=dict(color=color, width=4, dash=dash),
            marker=dict(size=9),
            hovertemplate="%{x|%b %Y}: %{y:.1%}<extra>" + label + "</extra>",
        )
        for key, label, color, dash in series
    ]
    layout = dict(
        xaxis=dict(tickformat="%b %y", dtick="M1" if len(rows) <= 13 else "M2", tickangle=0),
        yaxis=dict(range=[0, 1.05], **axis_format("rate")),
    )
    if min_acceptance_rate is not None:
        layout["shapes"] = [
            dict(
                type="line",
                xref="paper",
                x0=0,
                x1=1,
                yref="y",
                y0=min_acceptance_rate,
                y1=min_acceptance_rate,
                line=dict(color=TARGET_COLOR, width=2, dash="dash"),
            )
        ]
        layout["annotations"] = [
            dict(
                text=f"agreed acceptance floor {min_acceptance_rate:.0%}",
                xref="paper",
                x=1,
                xanchor="right",
                yref="y",
                y=min_acceptance_rate,
                yanchor="top",
                showarrow=False,
                font=dict(size=15, color=TARGET_COLOR),
            )
        ]
    return figure(*note_layers(x, notes, traces, layout), title)


def target_bars_chart(
    frame: pl.DataFrame,
    value_key: str,
    target_key: str,
    title: str | None = None,
    category: str = "group_key",
    currency: str = "USD",
) -> go.Figure:
    """Actual vs target per category (e.g. MQLs vs MQL target by segment), attainment under each category."""
    # breakdown keys without records of their own ('(none)', campaigns' '(all segments)') are left out
    rows = [r for r in _rows(frame) if r.get(category) is not None and not str(r[category]).startswith("(")]
    if not rows:
        return empty("Nothing to compare", title)
    m = BY_KEY[value_key]
    values = [_num(r.get(value_key)) for r in rows]
    targets = [_num(r.get(target_key)) for r in rows]
    # the attainment under each category: a display ratio of two numbers on screen, as in mql_target_attainment
    cats = [
        f"<b>{as_label(r[category])}</b><br>" + (f"{v / t:.0%} of target" if (v is not None and t) else "no target")
        for r, v, t in zip(rows, values, targets)
    ]
    bars = [
        dict(
            type="bar",
            x=cats,
            y=targets,
            name=BY_KEY[target_key].label if target_key in BY_KEY else "Target",
            marker=dict(color=lighter(MUTED_COLOR, 0.4)),
            text=[format_value(t, m.unit, currency) for t in targets],
        ),
        dict(
            type="bar",
            x=cats,
            y=values,
            name=m.label,
            marker=dict(color=side_color(value_key)),
            text=[format_value(v, m.unit, currency) for v in values],
        ),
    ]
    for bar in bars:
        bar.update(textposition="outside", textfont=dict(size=14), cliponaxis=False)
    return figure(
        bars,
        dict(
            barmode="group",
            bargap=0.3,
            xaxis=dict(tickangle=0),
            yaxis=dict(rangemode="tozero", **axis_format(m.unit, currency)),
        ),
        title,
        height=420,
    )


def _hbars(labels: list[str], values: list, color: str, title: str | None, height: int, customdata=None) -> go.Figure:
    bar = dict(
        type="bar",
        x=values,
        y=labels,
        orientation="h",
        marker=dict(color=color),
        text=[f"{v:,}" for v in values],
        textposition="outside",
        cliponaxis=False,
    )
    if customdata is not None:
        bar["customdata"] = customdata
    return figure(
        [bar],
        dict(
            showlegend=False,
            margin=dict(r=60),
            xaxis=dict(visible=False),
            yaxis=dict(autorange="reversed", showgrid=False),
        ),
        title,
        height,
    )


def owner_chart(
    frame: pl.DataFrame, metric_key: str = "untouched_mqls", title: str | None = None, top: int = 15
) -> go.Figure:
    """kpi_table by owner: one bar per owner for a count such as untouched MQLs, largest first."""
    rows = [r for r in _rows(frame) if r.get("group_key") not in (None, "(none)") and (r.get(metric_key) or 0) > 0]
    rows.sort(key=lambda r: (-(r.get(metric_key) or 0), str(r["group_key"])))
    rows = rows[:top]
    if not rows:
        return empty(f"No {BY_KEY[metric_key].label.lower()} in this period", title, height=260)
    owners = [r["group_key"] for r in rows]
    return _hbars(
        [as_label(o) for o in owners],
        [r[metric_key] for r in rows],
        side_color(metric_key),
        title,
        max(260, 38 * len(rows) + 100),
        customdata=owners,
    )


def count_bars_chart(
    frame: pl.DataFrame, category: str, value: str, title: str | None = None, color: str = MARKETING_COLOR
) -> go.Figure:
    """A plain horizontal count per category (e.g. rejected MQLs per rejection reason), largest first."""
    rows = sorted(_rows(frame), key=lambda r: (-(r.get(value) or 0), str(r.get(category))))
    if not rows:
        return empty("Nothing in this period", title, height=260)
    return _hbars(
        [as_label(r[category]) for r in rows], [r[value] for r in rows], color, title, max(260, 42 * len(rows) + 100)
    )


# -- lead scoring ------------------------------------------------------------------------------------
def scoring_chart(frame: pl.DataFrame, title: str | None = None, threshold: float | None = None) -> go.Figure:
    """scoring_table: the SQL rate per score band with its 95% Wilson interval; n under each band."""
    rows = _rows(frame)
    if not rows or not any(r.get("leads") for r in rows):
        return empty("No scored leads in this period", title)
    rate = [_num(r.get("rate")) for r in rows]
    # the rate and n go under each band: text on the bar would collide with the interval's whisker
    x = [
        f"<b>{r['band']}</b><br>{format_value(v, 'rate')}<br><span style='font-size:14px'>n={r['leads']:,}</span>"
        for r, v in zip(rows, rate)
    ]
    hi = [(_num(r.get("rate_high")) or 0) - (v or 0) for r, v in zip(rows, rate)]
    lo = [(v or 0) - (_num(r.get("rate_low")) or 0) for r, v in zip(rows, rate)]
    colors = [
        MARKETING_COLOR
        if threshold is None or (r.get("band_floor") or 0) >= threshold
        else lighter(MARKETING_COLOR, 0.6)
        for r in rows
    ]
    bar = dict(
        type="bar",
        x=x,
        y=rate,
        marker=dict(color=colors),
        name="SQL rate in band",
        error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=TARGET_COLOR, thickness=2, width=6),
        customdata=[r["band"] for r in rows],
        hovertemplate="%{customdata}: %{y:.1%}<extra></extra>",
    )
    return figure(
        [bar],
        dict(
            showlegend=False,
            yaxis=dict(
                rangemode="tozero",
                **axis_format("rate"),
                title=dict(text="reached SQL within W days", font=dict(size=15)),
            ),
            xaxis=dict(
                title=dict(text="lead score band: SQL rate, leads (n); whiskers = 95% interval", font=dict(size=15))
            ),
        ),
        title,
    )


# -- the plan --------------------------------------------------------------------------------------------
def plan_chart(plan: Mapping, title: str | None = None) -> go.Figure:
    """Funnel.plan(): the records each stage needs, with the date they must arrive by."""
    needed = plan.get("needed") or {}
    by_when = plan.get("by_when") or {}
    stages = [(k, label, side) for k, label, side in PLAN_STAGES if k in needed]
    values = [_num(needed.get(k)) for k, _, _ in stages]
    if not stages or all(v is None for v in values):
        return empty("The trailing period's rates are incomplete: no plan", title)
    period = plan.get("period") or {}
    text = []
    for (k, _, _), v in zip(stages, values):
        when = by_when.get(k)
        when_text = f"  ·  by {dt.date.fromisoformat(when):%d %b %Y}" if when else ""
        if k == "won_deals" and period.get("from"):
            when_text = (
                f"  ·  closing {dt.date.fromisoformat(period['from']):%d %b} – "
                f"{dt.date.fromisoformat(period['to']):%d %b %Y}"
            )
        text.append((format_value(v, "count") if v is not None else "–") + when_text)
    top = max(v or 0 for v in values)
    return stage_bars(
        stages, values, text, title, x_max=top * 1.02 if top else 1, bargap=0.3, margin_right=260, height=400
    )


# -- chart notes on a monthly trend ----------------------------------------------------------------------
NOTE_COLOR = "#B7410E"
NOTES_TRACE = "chart-notes"  # the meta of the notes' trace: deck/layout.py leaves it out of native charts
NOTE_HOVER_WIDTH = 60
NOTE_HOVER_CHARS = 600


def note_axis_span(fig: go.Figure) -> tuple[dt.date, dt.date] | None:
    """The days a monthly chart's x axis covers: the first month's first day to the last month's last."""
    months = [x for t in fig.data for x in (t.x or ()) if isinstance(x, dt.date) and t.meta != NOTES_TRACE]
    if not months:
        return None
    last = max(months)
    return min(months), month_end(last)


def note_hover(note) -> str:
    """A note as hover text: escaped (a note is plain text; '<b>' shows as typed), wrapped, cut when long."""

    text = note.text if len(note.text) <= NOTE_HOVER_CHARS else note.text[:NOTE_HOVER_CHARS] + " …"
    lines = [line for para in text.splitlines() for line in (textwrap.wrap(para, NOTE_HOVER_WIDTH) or [""])]
    scope = note.scope_text() if hasattr(note, "scope_text") else ""
    head = f"{note.date:%d %b %Y}" + (f" · {scope}" if scope and scope != "all records" else "")
    by = getattr(note, "created_by", None)
    return "<br>".join(html.escape(s) for s in [head, *lines, *([f"— {by}"] if by else [])])


def note_layers(months: list[dt.date], notes, traces: list[dict], layout: dict) -> tuple[list[dict], dict]:
    """A monthly chart's traces and layout with its chart notes (objects with .date and .text, e.g.
    meetings.Note): for each day the months cover (first month's first day to last month's last), a dotted
    line and a ▼ marker at the top of the plot, the day's notes as hover text. Notes outside are left out.

    Added to the dicts before the figure is built, so it is still built in one step (figure()).
    """
    if not months or not notes:
        return traces, layout
    first, last = min(months), month_end(max(months))
    by_day: dict[dt.date, list] = {}
    for note in notes:
        if first <= note.date <= last:
            by_day.setdefault(note.date, []).append(note)
    if not by_day:
        return traces, layout
    days = sorted(by_day)
    marker = dict(
        type="scatter",
        x=days,
        y=[1.0] * len(days),
        yaxis="y2",
        mode="markers",
        name="Chart notes",
        meta=NOTES_TRACE,
        marker=dict(symbol="triangle-down", size=16, color=NOTE_COLOR),
        cliponaxis=False,
        hovertext=["<br><br>".join(note_hover(n) for n in by_day[d]) for d in days],
        hoverinfo="text",
        hoverlabel=dict(bgcolor="white", bordercolor=NOTE_COLOR, font=dict(size=14, color="#1F2933"), align="left"),
    )
    lines = [
        dict(
            type="line",
            xref="x",
            x0=day,
            x1=day,
            yref="paper",
            y0=0,
            y1=1,
            line=dict(color=NOTE_COLOR, width=1.5, dash="dot"),
            layer="below",
        )
        for day in days
    ]
    return [*traces, marker], {
        **layout,
        "yaxis2": dict(overlaying="y", range=[0, 1.02], visible=False, fixedrange=True),
        "shapes": [*layout.get("shapes", []), *lines],
    }


# -- what changed between two snapshots, and where the period will land ----------------------------------
# the waterfall's steps: bucket, sign in the sum (0: a total)
WATERFALL_STEPS = (
    ("start", 0),
    ("new", 1),
    ("increased", 1),
    ("decreased", -1),
    ("won", -1),
    ("lost", -1),
    ("reopened", 1),
    ("removed", -1),
    ("end", 0),
)
UP_COLOR, DOWN_COLOR = "#2CA58D", "#C0392B"


def _day_label(iso: str | None) -> str:
    return "" if not iso else f"{dt.datetime.fromisoformat(iso.replace('Z', '+00:00')):%d %b %Y}"


def waterfall_chart(changes: Mapping, title: str | None = None) -> go.Figure:
    """Funnel.changes(): the open pipeline at S0, each bucket that moved it, the open pipeline at S1.

    Each bar's customdata is its bucket (a click lists its opportunities). The totals are labelled with
    both snapshots' as-of dates; a bar's hover gives its count of opportunities and its amount.
    """
    currency = changes["currency"]
    buckets = changes["buckets"]
    labels = {
        "start": f"Open<br>{_day_label(changes.get('from_as_of'))}",
        "end": f"Open<br>{_day_label(changes.get('to_as_of'))}",
    }
    x, y, measure, text, hover = [], [], [], [], []
    for key, sign in WATERFALL_STEPS:
        b = buckets[key]
        label = labels.get(key) or BY_KEY[f"changes_{key}"].label
        x.append(label.replace(" in the CRM", "<br>in the CRM"))
        y.append(b["amount"] if sign == 0 else sign * b["amount"])
        measure.append("absolute" if key == "start" else "total" if key == "end" else "relative")
        amount = format_value(b["amount"], "currency", currency)
        # an empty bucket keeps its place in the order but writes no "+$0" over its neighbours
        text.append(amount if sign == 0 else f"{'+' if sign > 0 else '−'}{amount}" if b["count"] else "")
        hover.append(f"{BY_KEY[f'changes_{key}'].label}: {b['count']:,} opportunities, {amount}")
    trace = dict(
        type="waterfall",
        x=x,
        y=y,
        measure=measure,
        text=text,
        textposition="outside",
        customdata=[k for k, _ in WATERFALL_STEPS],
        hovertext=hover,
        hoverinfo="text",
        connector=dict(line=dict(color=MUTED_COLOR, width=1)),
        increasing=dict(marker=dict(color=UP_COLOR)),
        decreasing=dict(marker=dict(color=DOWN_COLOR)),
        totals=dict(marker=dict(color=SALES_COLOR)),
        textfont=dict(size=15),
        showlegend=False,
    )
    return figure(
        [trace],
        dict(yaxis=dict(rangemode="tozero", **axis_format("currency", currency)), xaxis=dict(tickangle=0)),
        title,
        height=520,
    )


def pace_chart(
    daily: pl.DataFrame, period: Mapping, metric: str, title: str | None = None, currency: str = "USD"
) -> go.Figure:
    """The cumulative `metric` ("bookings" or "mqls") by day of the period up to as_of (Funnel.pace_daily),
    against the target line from 0 on the first day to the period's target on its last (the pro-rata
    expectation of Funnel.pace()), and the run rate continued dashed to the period's end."""
    rows = _rows(daily)
    m = BY_KEY[metric]
    if not rows:
        return empty("No days of the period yet", title)
    first, last = dt.date.fromisoformat(period["period"]["from"]), dt.date.fromisoformat(period["period"]["to"])
    x = [Period.from_key(r["period_key"]).end for r in rows]
    y = [_num(r[f"{metric}_to_date"]) for r in rows]
    color = side_color(metric)
    traces = [
        dict(
            type="scatter",
            x=x,
            y=y,
            mode="lines",
            name=f"{m.label} to date",
            line=dict(color=color, width=4),
            hovertemplate="%{x|%d %b}: %{y:,.0f}<extra></extra>",
        )
    ]
    target = _num(period.get(f"{metric}_target"))
    if target is not None:
        traces.append(
            dict(
                type="scatter",
                x=[first, last],
                y=[0, target],
                mode="lines",
                name="Target, pro rata",
                line=dict(color=TARGET_COLOR, width=2, dash="dot"),
                hovertemplate="target by %{x|%d %b}: %{y:,.0f}<extra></extra>",
            )
        )
    run_rate = _num(period.get(f"{metric}_run_rate"))
    if run_rate is not None and y and y[-1] is not None:
        traces.append(
            dict(
                type="scatter",
                x=[x[-1], last],
                y=[y[-1], run_rate],
                mode="lines+text",
                name="At the run rate so far",
                line=dict(color=color, width=2, dash="dash"),
                text=["", format_value(run_rate, m.unit, currency)],
                textposition="top left",
                textfont=dict(size=14, color=color),
                hoverinfo="skip",
            )
        )
    # the legend under the plot: a half-width chart has no room for it beside the title
    return figure(
        traces,
        dict(
            xaxis=dict(range=[first, last], tickformat="%d %b"),
            yaxis=dict(rangemode="tozero", **axis_format(m.unit, currency)),
            legend=dict(orientation="h", yanchor="top", y=-0.12, x=0, font=dict(size=14)),
        ),
        title,
        height=420,
    )


def projected_trace(frame: pl.DataFrame, projection: pl.DataFrame, metric_key: str, learned_from: str) -> dict | None:
    """The dashed "projected" segment for trend_chart: each immature month's projected final rate of the
    step (Funnel.projection_table), continuing from the last mature month's observed rate, with the mature
    cohorts it was learned from in the hover. None when no month has a projection."""
    step = metric_key.removesuffix("_rate")
    projected = {r["period_key"]: _num(r["projected_rate"]) for r in _rows(projection) if r["step"] == step}
    rows = _rows(frame)
    if not any(projected.get(r["period_key"]) is not None for r in rows):
        return None
    mature = [bool(r.get("cohort_mature", True)) for r in rows]
    last = max((i for i, ok in enumerate(mature) if ok), default=None)
    y = [
        projected.get(r["period_key"]) if not ok else (_num(r.get(metric_key)) if i == last else None)
        for i, (r, ok) in enumerate(zip(rows, mature))
    ]
    text = [f"proj. {format_value(v, 'rate')}" if (v is not None and not ok) else "" for v, ok in zip(y, mature)]
    hover = [
        f"projected {format_value(v, 'rate')}: learned from the mature cohorts of {learned_from}"
        if (v is not None and not ok)
        else ""
        for v, ok in zip(y, mature)
    ]
    return dict(
        type="scatter",
        x=[month_of(r["period_key"]) for r in rows],
        y=y,
        mode="lines+markers+text",
        name=f"{BY_KEY[metric_key].label} projected",
        text=text,
        textposition="bottom center",
        textfont=dict(size=13, color=side_color(metric_key)),
        hovertext=hover,
        hoverinfo="text",
        line=dict(color=side_color(metric_key), width=2, dash="dash"),
        marker=dict(size=9, symbol="diamond-open", color=side_color(metric_key)),
    )


def trend_with_projection(
    frame: pl.DataFrame,
    metric_key: str,
    projection: pl.DataFrame | None,
    learned_from: str,
    title: str | None = None,
    values: bool = True,
    notes=(),
) -> go.Figure:
    """trend_chart with each immature month's projected final rate beside its observed one (a dashed
    segment labelled "projected"); just trend_chart when there is nothing to project. (A rate: no currency.)"""
    fig = trend_chart(frame, metric_key, title, values=values, notes=notes)
    extra = None if projection is None else projected_trace(frame, projection, metric_key, learned_from)
    if extra is not None:
        fig.add_trace(go.Scatter(**extra))
    return fig
