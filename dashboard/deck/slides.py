"""The meeting deck's slides, in order, and the deck built from them.

deck = build_deck(funnel, period, filters)            # bytes of a .pptx, built from the same queries
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from dashboard import charts, findings
from dashboard.charts import note_axis_span
from dashboard.deck.data import (
    FUNNEL_KEYS,
    SCORECARD,
    SLA_KEYS,
    STEP_RATES,
    TOP_CAMPAIGNS,
    TOP_CHANNELS,
    TREND_METRIC,
    DeckData,
    _is_number,
    collect,
    collect_landing,
)
from dashboard.deck.layout import (
    BAD,
    GOOD,
    GREY,
    LIGHT,
    PPTX_MIME,
    Box,
    _caption,
    _cell,
    _Deck,
    _empty,
    _native_chart,
    _notes,
    _picture,
    _side_colour,
    _waterfall_chart,
    _write_lines,
    _xy_chart,
    change_text,
)
from dashboard.filters import Filters
from dashboard.images import Download, slug
from dashboard.metrics import BY_KEY, excel_format, format_value, metric_for, sla_units
from dashboard.periods import Period


def deck_file_name(period: Period, filters: Filters) -> str:
    scope = "-".join(slug(v) for v in filters.active().values())
    return f"funnel-review-{period.start.isoformat()}-{period.end.isoformat()}{'-' + scope if scope else ''}.pptx"


def deck_download(
    funnel, period: Period, filters: Filters, template: str | Path | None = None, *, record=None, chart_notes=None
) -> Download:
    """The "Export meeting deck" button: the deck is built only when clicked."""
    return Download(
        "Export meeting deck",
        deck_file_name(period, filters),
        PPTX_MIME,
        partial(build_deck, funnel, period, filters, template, record=record, chart_notes=chart_notes),
    )


def slide_cover(deck: _Deck, data: DeckData) -> None:
    gen = data.generated_at.astimezone(dt.UTC)
    slide = deck.cover(
        f"Funnel review · {data.label(data.period)}",
        [
            f"Period {data.period.start:%d %b %Y} – {data.period.end:%d %b %Y}, compared with {data.label(data.previous)}",
            f"Filters: {data.filters.describe()}",
            f"Snapshot as of {data.as_of_text()}",
            f"Generated {gen:%Y-%m-%d %H:%M} UTC",
        ],
    )
    _notes(
        slide,
        data,
        "Shared Funnel: one set of numbers for sales and marketing. Every figure in this deck "
        "comes from the snapshot named here; its definition is in the slide's notes.",
        [],
    )


def slide_scorecard(deck: _Deck, data: DeckData) -> None:
    sides = {side: [k for k in SCORECARD if BY_KEY[k].side == side] for side in ("marketing", "sales", "joint")}
    height = max(len(sides["marketing"]), len(sides["sales"]))
    joint_rows = math.ceil(len(sides["joint"]) / 2)
    n_rows = 2 + height + (1 + joint_rows if joint_rows else 0)
    slide, area = deck.content(f"Joint scorecard · {data.label(data.period)} vs {data.label(data.previous)}")
    immature = not data.current["cohort_mature"]
    note_h = Inches(0.35) if immature else 0
    row_h = min(Inches(0.36), int((area.height - note_h) / n_rows))
    shape = slide.shapes.add_table(n_rows, 8, area.left, area.top, area.width, row_h * n_rows)
    shape.name = "Joint scorecard"
    table = shape.table
    # plain cells: the fills below are the style
    tbl_pr = shape._element.graphic.graphicData.tbl.tblPr  # noqa: SLF001
    for attr in ("bandRow", "firstRow"):
        tbl_pr.set(attr, "0")
    widths = [0.37, 0.21, 0.21, 0.21]  # of each half: label, this, previous, change
    half = area.width / 2
    for i in range(8):
        table.columns[i].width = int(half * widths[i % 4])
    for r in range(n_rows):
        table.rows[r].height = row_h
    marketing, sales, joint = (_side_colour(s) for s in ("marketing", "sales", "joint"))
    white = RGBColor(0xFF, 0xFF, 0xFF)

    def band(row: int, col: int, text: str, colour: RGBColor, span: int = 4) -> None:
        cell = table.cell(row, col)
        cell.merge(table.cell(row, col + span - 1))
        _cell(cell, text, size=13, bold=True, colour=white, fill=colour)

    def heads(row: int, col: int) -> None:
        for i, text in enumerate(("", data.label(data.period), data.label(data.previous), "Change")):
            _cell(
                table.cell(row, col + i),
                text,
                size=11,
                bold=True,
                colour=GREY,
                fill=LIGHT,
                align=PP_ALIGN.LEFT if i == 0 else PP_ALIGN.RIGHT,
            )

    def metric_row(row: int, col: int, key: str | None) -> None:
        fill = RGBColor(0xFF, 0xFF, 0xFF) if row % 2 else RGBColor(0xFA, 0xFA, 0xFB)
        if key is None:
            for i in range(4):
                _cell(table.cell(row, col + i), "", fill=fill)
            return
        m = BY_KEY[key]
        star = " *" if immature and m.is_cohort else ""
        cur, prev = data.current[key], data.prior[key]
        text, good = change_text(key, cur, prev, data.currency)
        _cell(table.cell(row, col), m.label, size=12, fill=fill)
        _cell(table.cell(row, col + 1), data.fmt(key, cur) + star, size=12, bold=True, fill=fill, align=PP_ALIGN.RIGHT)
        _cell(table.cell(row, col + 2), data.fmt(key, prev), size=12, colour=GREY, fill=fill, align=PP_ALIGN.RIGHT)
        _cell(
            table.cell(row, col + 3),
            text,
            size=12,
            fill=fill,
            align=PP_ALIGN.RIGHT,
            colour=GREY if good is None else GOOD if good else BAD,
        )

    band(0, 0, "Marketing", marketing)
    band(0, 4, "Sales", sales)
    heads(1, 0)
    heads(1, 4)
    for i in range(height):
        metric_row(2 + i, 0, sides["marketing"][i] if i < len(sides["marketing"]) else None)
        metric_row(2 + i, 4, sides["sales"][i] if i < len(sides["sales"]) else None)
    if joint_rows:
        row = 2 + height
        band(row, 0, "Joint: the hand-off both teams own", joint, span=8)
        for i, key in enumerate(sides["joint"]):
            metric_row(row + 1 + i // 2, 4 * (i % 2), key)
        if len(sides["joint"]) % 2:
            metric_row(row + joint_rows, 4, None)
    extra = []
    if immature:
        matures = data.cohort_matures_on(data.period)
        note = (
            f"* Cohort still maturing: {data.label(data.period)}'s leads have had less than W = "
            f"{data.policy.window_days:g} days to convert (complete on {matures:%d %b %Y}); the rate will rise."
        )
        tb = slide.shapes.add_textbox(area.left, area.top + row_h * n_rows + Inches(0.05), area.width, note_h)
        _write_lines(tb.text_frame, [note], size=11, colour=GREY)
        extra.append(note)
    _notes(
        slide,
        data,
        "Green: better than the previous period; red: worse (by each metric's direction). "
        "Rates and ROI change in percentage points; counts, money and durations in their own unit.",
        list(SCORECARD),
        extra,
    )


def _maturing(data: DeckData, period: Period, row: dict) -> str:
    return "" if row["cohort_mature"] else f" (cohort still maturing until {data.cohort_matures_on(period):%d %b})"


def slide_funnel(deck: _Deck, data: DeckData) -> None:
    # the hand-off both teams own headlines the funnel (the step that moved most would mostly pick the
    # step an immature cohort distorts most)
    key = "mql_to_sql_rate"
    title = findings.change_finding(key, data.current[key], data.prior[key], data.scope(), data.currency)
    title += _maturing(data, data.period, data.current)
    slide, area = deck.content(title)
    warning = findings.small_cohort_warning(data.current["mql_to_sql_cohort"], what="MQL cohort")
    if warning:
        area = _caption(slide, area, [warning])
    counts = [f"{BY_KEY[k].label} {data.fmt(k, data.current[k])}" for k in FUNNEL_KEYS]
    # a picture: PowerPoint has no chart type for a funnel with these labels
    _picture(
        slide,
        area,
        charts.funnel_chart(data.current),
        f"Stage funnel of the {data.label(data.period)} lead cohort: " + "; ".join(counts),
        data,
    )
    rates = [
        f"{BY_KEY[k].label} {data.fmt(k, data.current[k])} (previous {data.fmt(k, data.prior[k])})" for k in STEP_RATES
    ]
    _notes(
        slide,
        data,
        title,
        [*FUNNEL_KEYS, *STEP_RATES, "cohort_mature"],
        [
            *([warning] if warning else []),
            "The period's lead cohort, stage by stage: " + "; ".join(counts) + ".",
            "Step rates: " + "; ".join(rates) + ".",
            *_projected_period_notes(data),
        ],
    )


def slide_trend(deck: _Deck, data: DeckData) -> None:
    key = TREND_METRIC
    m = BY_KEY[key]
    rows = data.trend.to_dicts()
    mature = [r for r in rows if r["cohort_mature"] and _is_number(r[key])]
    if len(mature) >= 2:
        before, latest = mature[-2], mature[-1]
        title = findings.change_finding(key, latest[key], before[key], data.scope(), data.currency)
        months = (
            f"{before['label'][:3]}–{latest['label']}"
            if before["label"][4:] == latest["label"][4:]
            else f"{before['label']}–{latest['label']}"
        )
        title += f", {months} (latest mature cohorts)"
    else:
        title = f"{m.label} by month: fewer than two mature cohorts in the last {len(rows)} months"
    slide, area = deck.content(title)
    # with the maturing months' projected final rates beside their observed ones (dashed, "projected")
    if key.endswith("_rate"):
        fig = charts.trend_with_projection(data.trend, key, data.projection, data.learned_from, notes=data.chart_notes)
    else:
        fig = charts.trend_chart(data.trend, key, currency=data.currency, notes=data.chart_notes)
    shown = _chart_notes_shown(fig, data)
    area = _note_caption(slide, area, shown)
    _native_chart(slide, area, fig, excel_format(m.unit, data.currency), name=f"Trend {key}")
    table = [f"{r['label']} {data.fmt(key, r[key])}{'' if r['cohort_mature'] else ' (maturing)'}" for r in rows]
    _notes(
        slide,
        data,
        title,
        [key, "cohort_mature"],
        [
            *_note_lines(shown),
            "Month by month: " + "; ".join(table) + ".",
            f"Dashed: cohorts younger than W = {data.policy.window_days:g} days; their rates will still rise, so "
            "the title compares the latest two mature months.",
            *_projected_notes(data, key),
        ],
    )


def _projected_period_notes(data: DeckData) -> list[str]:
    """A maturing period's projected final rate of each step, beside the observed ones of the funnel slide."""
    if data.projection is None or data.current["cohort_mature"]:
        return []
    rows = [
        r for r in data.projection.to_dicts() if r["period_key"] == data.period.key and r["projected_rate"] is not None
    ]
    if not rows:
        return []
    return [
        f"Projected final rates of this still-maturing cohort (learned from the mature cohorts of "
        f"{data.learned_from}): "
        + "; ".join(
            f"{BY_KEY[r['step'] + '_rate'].label} {data.fmt('projected_rate', r['projected_rate'])}" for r in rows
        )
        + "."
    ]


def _projected_notes(data: DeckData, key: str) -> list[str]:
    """The maturing months' projected final rates, and the mature cohorts they were learned from."""
    if data.projection is None:
        return []
    step = key.removesuffix("_rate")
    rows = [r for r in data.projection.to_dicts() if r["step"] == step and r["projected_rate"] is not None]
    if not rows:
        return []
    return [
        f"Projected (learned from the mature cohorts of {data.learned_from}): "
        + "; ".join(
            f"{Period.from_key(r['period_key']).label()} {data.fmt('projected_rate', r['projected_rate'])}"
            for r in rows
        )
        + f". {BY_KEY['projected_rate'].definition}"
    ]


def slide_campaigns(deck: _Deck, data: DeckData) -> None:
    frame = data.attribution.filter((pl.col("model") == data.model) & pl.col("campaign_id").is_not_null())
    fig = charts.campaign_roi_chart(frame, top=TOP_CAMPAIGNS, currency=data.currency)
    shown = {c for trace in fig.data for c in (trace.customdata or ())}
    rows = sorted(
        (r for r in frame.to_dicts() if r["campaign_id"] in shown),
        key=lambda r: (-((r["cost"] or 0) + (r["attributed_bookings"] or 0)), r["campaign_id"]),
    )
    # the title speaks about the campaigns the chart shows
    title = findings.campaign_finding(rows, data.scope(), data.currency) + f" ({data.model} credit)"
    slide, area = deck.content(title)
    if fig.data:
        largest = max((v or 0) for t in fig.data for v in t.x)
        _native_chart(slide, area, fig, excel_format("currency", data.currency, largest), name="Campaign ROI")
    else:
        _empty(slide, area, f"No campaign had cost or attributed bookings in {data.label(data.period)}.")
    money = partial(format_value, unit="currency", currency=data.currency)
    lines = [
        f"{r['name']} ({r['campaign_id']}, {r['channel']}): cost {money(r['cost'])}"
        f", attributed bookings {money(r['attributed_bookings'])}, "
        f"ROI {format_value(r['roi'], 'ratio')}"
        for r in rows
    ]
    _notes(
        slide,
        data,
        title,
        ["cost", "attributed_bookings", "roi", "attributed_pipeline"],
        [
            f"The {len(rows)} campaigns with the most cost plus attributed bookings, credit by the {data.model} model "
            "(funnel.toml's):",
            *lines,
        ],
    )


def slide_attribution(deck: _Deck, data: DeckData) -> None:
    shares = charts.attribution_shares(data.attribution)
    title = findings.attribution_finding(shares, data.scope())
    slide, area = deck.content(title)
    fig = charts.attribution_compare_chart(data.attribution, policy_model=data.model, top=TOP_CHANNELS)
    if fig.data:
        _native_chart(slide, area, fig, excel_format("rate"), name="Attribution models")
    else:
        _empty(slide, area, f"No attributed pipeline in {data.label(data.period)}.")
    models = [t.name for t in fig.data]
    channels = list(fig.data[0].x) if fig.data else []
    lines = [
        f"{c}: " + ", ".join(f"{t.name} {format_value(v, 'rate')}" for t in fig.data for v in [t.y[i]])
        for i, c in enumerate(channels)
    ]
    _notes(
        slide,
        data,
        title,
        ["attributed_pipeline"],
        [
            "Each channel's share of the period's attributed pipeline under each model ("
            + ", ".join(models)
            + "); channels ordered by how much the models disagree:",
            *lines,
            "Models: first_touch 1 to the first touch; last_touch 1 to the last; linear 1/n each; u_shaped 0.4 first, "
            "0.4 the last touch before lead creation, 0.2 the rest; w_shaped 0.3 first, 0.3 lead creation, 0.3 last, "
            f"0.1 the rest; time_decay halves every {data.policy.half_life_days:g} days.",
        ],
    )


def slide_sla(deck: _Deck, data: DeckData) -> None:
    p, cur, scope = data.policy, data.current, data.scope()
    # sales' side in the title, marketing's side in the caption under it
    title = findings.sla_finding(
        cur["sla_response_rate"],
        p.first_response_hours,
        cur["sla_decision_rate"],
        p.decision_days,
        scope,
        units=sla_units(p),
    )
    caption = (
        f"{findings.floor_finding(cur['acceptance_rate'], p.min_acceptance_rate, scope)}; "
        f"{findings.target_finding(cur['mqls'], cur['mql_target'], 'MQLs', scope)}."
    )
    slide, area = deck.content(title)
    area = _caption(slide, area, [caption])
    fig = charts.sla_chart(
        data.trend,
        min_acceptance_rate=p.min_acceptance_rate,
        hours=p.first_response_hours,
        days=p.decision_days,
        notes=data.chart_notes,
        units=sla_units(p),
    )
    shown = _chart_notes_shown(fig, data)
    area = _note_caption(slide, area, shown)
    _native_chart(slide, area, fig, excel_format("rate"), name="SLA both sides")
    lines = [
        f"{metric_for(k, p).label}: {data.fmt(k, cur[k])} (previous {data.fmt(k, data.prior[k])})"
        for k in (*SLA_KEYS, "median_response_hours", "untouched_mqls")
    ]
    _notes(
        slide,
        data,
        title,
        [*SLA_KEYS, "mql_target", "median_response_hours", "untouched_mqls"],
        [
            *_note_lines(shown),
            caption,
            "Sales' side: responding to and deciding on MQLs in time. Marketing's side: the share of MQLs "
            f"sales accepts (agreed floor {format_value(p.min_acceptance_rate, 'rate')}), and MQLs against target.",
            *lines,
        ],
    )


def slide_scoring(deck: _Deck, data: DeckData) -> None:
    rows = data.scoring.to_dicts()
    auc = rows[0]["score_auc"] if rows else None
    title = findings.scoring_finding(data.scoring, data.scope())
    slide, area = deck.content(title)
    # a picture: each band's 95% interval is drawn as an error bar, which python-pptx can't make
    _picture(
        slide,
        area,
        charts.scoring_chart(data.scoring),
        "SQL rate by lead-score band with 95% intervals: "
        + "; ".join(f"{r['band']} {format_value(r['rate'], 'rate')} of {r['leads']:,}" for r in rows),
        data,
    )
    lines = [
        f"{r['band']}: {r['leads']:,} leads, {r['converted']:,} reached SQL, "
        f"rate {format_value(r['rate'], 'rate')}"
        f" (95% interval {format_value(r['rate_low'], 'rate')} to {format_value(r['rate_high'], 'rate')})"
        for r in rows
    ]
    _notes(
        slide,
        data,
        title,
        ["band_rate", "score_auc"],
        [f"Score AUC: {data.fmt('score_auc', auc)}." if _is_number(auc) else "Score AUC: –.", *lines],
    )


def slide_plan(deck: _Deck, data: DeckData) -> None:
    plan = data.plan
    if plan is None:
        slide, area = deck.content(f"Plan for {data.label(data.plan_period)}: no bookings target")
        _empty(slide, area, data.plan_problem or "No plan.")
        _notes(slide, data, data.plan_problem or "", ["bookings_target"])
        return
    needed, cur = plan["needed"], data.currency
    title = f"{data.label(data.plan_period)}: " + findings.plan_finding(plan, data.scope(), cur)
    slide, area = deck.content(title)
    left, right = area.split(0.56)
    fig = charts.plan_chart(plan)
    stages = [(k, label) for k, label, _ in charts.PLAN_STAGES if k in needed]
    if fig.data:
        _native_chart(slide, left, fig, excel_format("count"), name="Plan")
    else:
        _empty(slide, left, "The trailing period's rates are incomplete: no plan.")
    t = plan["trailing"]
    rows = [("Bookings target", format_value(plan["target"], "currency", cur), "")]
    rows += [(label, format_value(needed.get(k), "count"), _when(plan["by_when"].get(k))) for k, label in stages]
    rows.append(("Marketing budget", format_value(needed.get("marketing_budget"), "currency", cur), ""))
    row_h = Inches(0.4)
    shape = slide.shapes.add_table(len(rows) + 1, 3, right.left, right.top, right.width, row_h * (len(rows) + 1))
    shape.name = "Plan table"
    table = shape.table
    table.columns[0].width = int(right.width * 0.46)
    table.columns[1].width = int(right.width * 0.24)
    table.columns[2].width = right.width - table.columns[0].width - table.columns[1].width
    for r in range(len(rows) + 1):
        table.rows[r].height = row_h
    for i, text in enumerate(("Needed", "Count", "By when")):
        _cell(
            table.cell(0, i),
            text,
            size=12,
            bold=True,
            colour=GREY,
            fill=LIGHT,
            align=PP_ALIGN.LEFT if i == 0 else PP_ALIGN.RIGHT,
        )
    for r, (a, b, c) in enumerate(rows, start=1):
        fill = RGBColor(0xFF, 0xFF, 0xFF)
        _cell(table.cell(r, 0), a, size=13, fill=fill)
        _cell(table.cell(r, 1), b, size=13, bold=True, fill=fill, align=PP_ALIGN.RIGHT)
        _cell(table.cell(r, 2), c, size=13, fill=fill, align=PP_ALIGN.RIGHT)
    note_top = right.top + row_h * (len(rows) + 1) + Inches(0.2)
    note_h = max(Inches(0.6), right.top + right.height - note_top)
    tb = slide.shapes.add_textbox(right.left, note_top, right.width, note_h)
    tb.text_frame.word_wrap = True
    mature = "" if plan["trailing_cohort_mature"] else " (not all of its cohorts are mature yet)"
    _write_lines(
        tb.text_frame,
        [
            f"Target: the {data.plan_target_source}.",
            f"Rates of {t['from']} to {t['to']}{mature}.",
            f"'By when' works back from {data.plan_period.start:%d %b %Y} by each step's median "
            "days: a date already past means those records should exist by now.",
        ],
        size=12,
        colour=GREY,
    )
    rates = [f"{BY_KEY[k].label} {data.fmt(k, v)}" for k, v in plan["rates"].items()]
    _notes(
        slide,
        data,
        title,
        [
            *plan["rates"],
            "sales_cycle_days",
            "median_days_sql_to_opp",
            "median_days_mql_to_sql",
            "median_days_lead_to_mql",
            "bookings_target",
        ],
        [
            f"Reverse funnel for {data.label(data.plan_period)}: target {format_value(plan['target'], 'currency', cur)} "
            f"(the {data.plan_target_source}), with the rates of {t['from']} to {t['to']}: " + "; ".join(rates) + ".",
            "Won deals = target / average deal size; opportunities = won / win rate; SQLs = opportunities / "
            "SQL → opportunity; MQLs = SQLs / MQL → SQL; leads = MQLs / lead → MQL; budget = MQLs x cost per MQL; "
            "each rounded up.",
        ],
    )


def _when(iso: str | None) -> str:
    return "" if not iso else f"{dt.date.fromisoformat(iso):%d %b %Y}"


# -- the meeting record: chart notes on the trends, and what was agreed --------------------------------------
RECORD_ROWS = 11  # decisions and actions a slide's table holds; the rest are listed in its notes
RECORD_CHARS = 150  # characters of an item's text in the table (all of it in the notes)


def _chart_notes_shown(fig, data: DeckData) -> list:
    """The chart notes a figure's axis covers (charts.note_layers drew exactly these)."""
    span = note_axis_span(fig)
    return [] if span is None else [n for n in data.chart_notes if span[0] <= n.date <= span[1]]


def _note_caption(slide, area: Box, notes: list) -> Box:
    """The chart notes over a native chart, in the words written; each month holding one is marked ▲."""
    if not notes:
        return area
    lines = [f"▲ {n.date:%d %b %Y}: {_shorten(n.text, 110)}" for n in notes[:3]]
    if len(notes) > 3:
        lines.append(f"… and {len(notes) - 3} more chart notes (in this slide's notes)")
    return _caption(slide, area, lines, size=12)


def _note_lines(notes: list) -> list[str]:
    if not notes:
        return []
    return [
        "Chart notes (▲ on the chart's month):",
        *(f"▲ {n.date:%d %b %Y} ({n.scope_text()}; {n.created_by}, {n.created_at}): {n.text}" for n in notes),
        "",
    ]


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _record_slide(deck: _Deck, data: DeckData, title: str, items: tuple, empty: str, lead: str) -> None:
    slide, area = deck.content(title)
    on = data.record.on
    if not items:
        _empty(slide, area, empty)
        _record_notes(slide, data, [title, "", lead, empty])
        return
    shown = items[:RECORD_ROWS]
    row_h = min(Inches(0.42), int(area.height / (len(shown) + 2)))
    shape = slide.shapes.add_table(len(shown) + 1, 4, area.left, area.top, area.width, row_h * (len(shown) + 1))
    shape.name = "Meeting record"
    table = shape.table
    for i, share in enumerate((0.58, 0.16, 0.12, 0.14)):
        table.columns[i].width = int(area.width * share)
    for i, text in enumerate(("Decision or action", "Owner", "Due", "Status")):
        _cell(table.cell(0, i), text, size=12, bold=True, colour=GREY, fill=LIGHT)
    white = RGBColor(0xFF, 0xFF, 0xFF)
    for r, a in enumerate(shown, start=1):
        late = a.overdue(on)
        _cell(table.cell(r, 0), f"{a.kind.capitalize()}: {_shorten(a.text, RECORD_CHARS)}", size=12, fill=white)
        _cell(table.cell(r, 1), a.owner or "–", size=12, fill=white)
        _cell(
            table.cell(r, 2), f"{a.due:%d %b %Y}" if a.due else "–", size=12, fill=white, colour=BAD if late else None
        )
        _cell(
            table.cell(r, 3),
            f"{a.status} · overdue" if late else a.status,
            size=12,
            bold=late,
            fill=white,
            colour=BAD if late else GOOD if a.status == "done" else GREY if a.status == "dropped" else None,
        )
    if len(items) > len(shown):
        tb = slide.shapes.add_textbox(
            area.left, area.top + row_h * (len(shown) + 1) + Inches(0.05), area.width, Inches(0.35)
        )
        _write_lines(
            tb.text_frame, [f"… and {len(items) - len(shown)} more in this slide's notes"], size=12, colour=GREY
        )
    lines = [
        f"• {a.kind}: {a.text} (owner {a.owner or '–'}, due {a.due.isoformat() if a.due else '–'}, "
        f"{a.status}{', overdue' if a.overdue(on) else ''}; recorded by {a.created_by} at {a.created_at}"
        f"{f'; status set by {a.updated_by} at {a.updated_at}' if a.updated_by else ''})"
        for a in items
    ]
    _record_notes(
        slide, data, [title, "", lead, f"Overdue: still open after the due date, as of {on:%d %b %Y}.", *lines]
    )


def slide_agreed_last_time(deck: _Deck, data: DeckData) -> None:
    rec = data.record
    late = sum(a.overdue(rec.on) for a in rec.last_time)
    done = sum(a.status == "done" for a in rec.last_time)
    title = (
        (
            f"Agreed last time ({rec.previous}): {done} of {len(rec.last_time)} done"
            + (f", {late} overdue" if late else "")
        )
        if rec.last_time
        else "Agreed last time"
    )
    empty = (
        "There was no earlier meeting: this is the first snapshot."
        if rec.previous is None
        else f"Nothing was recorded at the meeting that reviewed snapshot {rec.previous}."
    )
    _record_slide(
        deck,
        data,
        title,
        rec.last_time,
        empty,
        f"The decisions and actions of the previous meeting (snapshot {rec.previous}) and where they stand.",
    )


def slide_agreed_today(deck: _Deck, data: DeckData) -> None:
    rec = data.record
    title = f"Agreed today ({rec.meeting}): {_kinds_text(rec.today)}" if rec.today else "Agreed today"
    _record_slide(
        deck,
        data,
        title,
        rec.today,
        f"Nothing recorded yet for the meeting on snapshot {rec.meeting}.",
        f"The decisions and actions recorded for this meeting (snapshot {rec.meeting}).",
    )


def _kinds_text(items: tuple) -> str:
    counts = [(sum(a.kind == k for a in items), k) for k in ("decision", "action")]
    return ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for n, k in counts if n)


def _record_notes(slide, data: DeckData, lines: list[str]) -> None:
    slide.notes_slide.notes_text_frame.text = "\n".join(
        [
            *lines,
            "",
            f"Period {data.period.label()}; filters: {data.filters.describe()}; snapshot as of {data.as_of_text()}.",
        ]
    )


def deck_slides(data: DeckData) -> list:
    """The slides in order: with a meeting record, "Agreed last time" after the cover and "Agreed today" last."""
    makers = list(SLIDES)
    if data.record is not None:
        makers.insert(1, slide_agreed_last_time)
        makers.append(slide_agreed_today)
    return makers


def slide_changes(deck: _Deck, data: DeckData) -> None:
    if data.changes is None:
        slide, area = deck.content("What changed since the last snapshot")
        _empty(slide, area, f"No waterfall: {data.changes_problem}")
        _notes(slide, data, "No earlier snapshot to compare with.", [])
        return
    c = data.changes
    title = findings.changes_finding(c, data.movers, data.scope())
    slide, area = deck.content(title)
    area = _caption(
        slide,
        area,
        [
            f"Won bookings (at the newer amounts) {data.fmt('won_bookings', c['won_bookings'])}; beside the waterfall: "
            f"created and won between {data.fmt('changes_created_and_won', c['created_and_won']['amount'])} "
            f"({c['created_and_won']['count']:,} deals), created and lost "
            f"{data.fmt('changes_created_and_lost', c['created_and_lost']['amount'])} ({c['created_and_lost']['count']:,})."
        ],
    )
    _waterfall_chart(slide, area, c, data.currency)
    buckets = "; ".join(
        f"{BY_KEY[f'changes_{k}'].label} {v['count']:,} deals {data.fmt(f'changes_{k}', v['amount'])}"
        for k, v in c["buckets"].items()
    )
    movers = "; ".join(
        f"{m['opportunity_id']} ({m['bucket']}, {data.fmt('changes_start', abs(m['move']))}: "
        f"{m['stage_before'] or 'absent'} → {m['stage_after'] or 'absent'})"
        for m in data.movers
    )
    _notes(
        slide,
        data,
        title,
        [f"changes_{k}" for k in c["buckets"]]
        + ["won_bookings", "changes_created_and_won", "changes_created_and_lost"],
        [
            f"Snapshot {c['from_snapshot']} (as of {c['from_as_of']}) to {c['to_snapshot']} (as of {c['to_as_of']}).",
            "Buckets: " + buckets + ".",
            *(["Largest movers: " + movers + "."] if movers else []),
            "Filters use each deal's values in the newer snapshot, or the older one's for a deal deleted since.",
        ],
    )


def slide_landing(deck: _Deck, data: DeckData) -> None:
    q, m = data.pace["quarter"], data.pace["month"]
    title = f"Where this quarter will land: {findings.pace_finding(q, data.currency, named=False)}"
    slide, area = deck.content(title)
    partial = (
        ""
        if q["bookings_target_months"] >= q["months"]
        else f"; bookings targets are set for {q['bookings_target_months']} of its {q['months']} months only"
    )
    area = _caption(
        slide,
        area,
        [
            f"{q['label']}{' in ' + data.scope() if data.scope() else ''}, day "
            f"{q['elapsed_days']:.0f} of {q['days']}{partial}."
        ],
    )
    table_box, chart_box = area.split(0.5)
    figures = ("mqls", "sqls", "pipeline", "bookings")
    rows = [["", "To date", "Expected", "Pace", "Run rate", "Target"]]
    for key in figures:
        rows.append(
            [
                BY_KEY[key].label,
                *(
                    data.fmt(f"{key}_{part}", q[f"{key}_{part}"])
                    for part in ("to_date", "expected_to_date", "pace", "run_rate")
                ),
                format_value(q[f"{key}_target"], BY_KEY[f"{key}_to_date"].unit, data.currency),
            ]
        )
    rows.append(
        [BY_KEY["pipeline_coverage"].label, data.fmt("pipeline_coverage", q["pipeline_coverage"]), "", "", "", ""]
    )
    shape = slide.shapes.add_table(
        len(rows), 6, table_box.left, table_box.top, table_box.width, Inches(0.42) * len(rows)
    )
    shape.name = "Pace"
    first = int(table_box.width * 0.24)  # the figure's name; the five numbers share the rest
    shape.table.columns[0].width = first
    for col in range(1, 6):
        shape.table.columns[col].width = (table_box.width - first) // 5
    for r, values in enumerate(rows):
        for col, text in enumerate(values):
            _cell(shape.table.cell(r, col), text, size=11, bold=(r == 0 or col == 0))
    _xy_chart(
        slide,
        chart_box,
        charts.pace_chart(data.pace_daily, q, "bookings", currency=data.currency),
        excel_format("currency", data.currency, q["bookings_run_rate"] or q["bookings_to_date"] or 0),
        name="Bookings against target",
    )
    _notes(
        slide,
        data,
        title,
        [f"{k}_{part}" for k in figures for part in ("to_date", "expected_to_date", "pace", "run_rate")]
        + ["pipeline_coverage"],
        [
            f"Day {q['elapsed_days']:.1f} of {q['days']} of {q['label']}; targets set for "
            f"{q['bookings_target_months']} of its {q['months']} months (bookings).",
            f"This month ({m['label']}): bookings {data.fmt('bookings_to_date', m['bookings_to_date'])} of "
            f"{data.fmt('bookings_to_date', m['bookings_target'])}, pace {data.fmt('bookings_pace', m['bookings_pace'])}.",
        ],
    )


SLIDES = (
    slide_cover,
    slide_scorecard,
    slide_funnel,
    slide_trend,
    slide_campaigns,
    slide_attribution,
    slide_sla,
    slide_scoring,
    slide_plan,
    slide_changes,
    slide_landing,
)


@dataclass(frozen=True)
class DeckResult:
    content: bytes
    slides: int
    seconds: float
    image_problems: tuple[str, ...]


def render_deck(
    funnel,
    period: Period | None = None,
    filters: Filters | None = None,
    template: str | Path | None = None,
    *,
    generated_at: dt.datetime | None = None,
    record=None,
    chart_notes=None,
    progress: Callable[[int, int, str], None] | None = None,
) -> DeckResult:
    """build_deck, with what the CLI reports: slide count, seconds, and why pictures are missing (if they are).

    `record` (meetings.MeetingRecord) adds the slides "Agreed last time" and "Agreed today"; `chart_notes`
    (meetings.Note) are drawn on the trend charts whose axis covers their date and whose scope the filters
    match; `progress(done, total, slide name)` is called after each slide (the app's progress bar).
    """
    started = time.perf_counter()
    deck = _Deck(template)  # a bad template fails before any query runs
    data = collect(funnel, period, filters, generated_at)
    data.record = record
    data.chart_notes = [n for n in (chart_notes or ()) if n.applies_to(data.filters)]
    collect_landing(funnel, data)
    makers = deck_slides(data)
    for done, make in enumerate(makers, start=1):
        make(deck, data)
        if progress is not None:
            progress(done, len(makers), make.__name__.removeprefix("slide_").replace("_", " "))
    content = deck.finish(data)
    return DeckResult(content, len(deck.prs.slides), time.perf_counter() - started, tuple(data.image_problems))


def build_deck(
    funnel,
    period: Period | None = None,
    filters: Filters | None = None,
    template: str | Path | None = None,
    *,
    generated_at: dt.datetime | None = None,
    record=None,
    chart_notes=None,
) -> bytes:
    """The meeting deck (.pptx bytes): title, joint scorecard, one slide per key chart, notes with definitions.

    `period` defaults to the last full month before the snapshot's as_of, compared with Period.previous();
    `template` is an optional 16:9 .pptx whose layouts are used (TemplateError when it can't be).
    """
    return render_deck(
        funnel, period, filters, template, generated_at=generated_at, record=record, chart_notes=chart_notes
    ).content
