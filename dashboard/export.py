"""Exports: chart images (PNG/SVG through kaleido and a headless Chromium) and the meeting deck (PPTX).

    png = figure_to_image(fig, "png", scale=2)          # bytes; ExportUnavailable when no browser
    deck = build_deck(funnel, period, filters)            # bytes of a .pptx, built from the same queries

No Streamlit here: pages call `figure_downloads` / `deck_download` and hand the result to
`st.download_button`; `funnel export` calls `build_deck`. Numbers in text are formatted by
`metrics.format_value`; native charts carry the matching Excel number formats.

Images need a Chrome or Chromium (kaleido >= 1 ships none). One browser is started per process on
first use and kept on its own event-loop thread. kaleido's own `start_sync_server` is not used: when
the browser fails to start, its worker thread dies and every later call waits forever on a queue, where
this module has to answer "unavailable" in a bounded time.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import copy
import datetime as dt
import io
import math
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from dashboard.errors import ArgumentError
from dashboard.filters import Filters
from dashboard.metrics import BY_KEY, excel_format, format_value, metric_for, sla_units
from dashboard.periods import Period, cohort_matures_at, fiscal_label, trailing_months

IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
START_TIMEOUT_S = 60  # the browser's start, including loading plotly.js once
RENDER_TIMEOUT_S = 60  # one image
# Chrome-family names looked for on PATH when choreographer's own search is unavailable
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_INSTALL_HINT = (
    "Install Chromium (Debian/Ubuntu: apt-get install chromium) or Google Chrome, "
    "or point BROWSER_PATH at a Chrome/Chromium executable."
)


class ExportUnavailable(RuntimeError):
    """Images cannot be rendered here (no usable Chrome/Chromium); the message says why and what to do."""


# -- images ---------------------------------------------------------------------------------------------
def browser_path() -> str | None:
    """The browser kaleido would use: $BROWSER_PATH when set, else the first Chrome/Chromium found."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"]
    try:
        from choreographer.browsers.chromium import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - best effort; fall back to PATH
        found = None
    return found or next((p for p in map(shutil.which, _BROWSER_NAMES) if p), None)


def _browser_problem(path: str | None) -> str | None:
    if not path:
        return f"Image export needs Chrome or Chromium and none was found. {_INSTALL_HINT}"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        where = "BROWSER_PATH" if os.environ.get("BROWSER_PATH") == path else "the browser path"
        return f"Image export needs Chrome or Chromium: {where} {path!r} is not an executable file. {_INSTALL_HINT}"
    return None


class _Renderer:
    """One kaleido browser per process, on a daemon thread running its own event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self._failed: tuple[str | None, str] | None = None  # (browser path, message) of a failed start

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def problem(self) -> str | None:
        """Why images can't be made, without starting a browser (None: probably fine)."""
        if self.running:
            return None
        path = browser_path()
        if self._failed and self._failed[0] == path:
            return self._failed[1]
        return _browser_problem(path)

    def _start(self) -> None:
        path = browser_path()
        problem = _browser_problem(path)
        if problem is None and self._failed and self._failed[0] == path:
            problem = self._failed[1]  # don't retry a browser that already failed to start
        if problem:
            raise ExportUnavailable(problem)
        import kaleido

        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="kaleido-render", daemon=True).start()

        async def open_browser():
            k = kaleido.Kaleido(path=path, n=1, timeout=RENDER_TIMEOUT_S, mathjax=False)
            await k.open()
            return k

        future = asyncio.run_coroutine_threadsafe(open_browser(), loop)
        try:
            self._kaleido = future.result(START_TIMEOUT_S)
        except BaseException as exc:  # noqa: BLE001 - any failure to start means "unavailable"
            future.cancel()
            loop.call_soon_threadsafe(loop.stop)
            if isinstance(exc, concurrent.futures.TimeoutError):
                reason = f"no answer within {START_TIMEOUT_S} s"
            else:  # choreographer's errors carry several sentences as args; the first says it
                reason = str(exc.args[0]) if exc.args else type(exc).__name__
            message = f"Image export: the browser at {path!r} did not start ({reason}). {_INSTALL_HINT}"
            self._failed = (path, message)
            raise ExportUnavailable(message) from None
        self._loop = loop
        atexit.register(self.close)

    def render(self, fig, opts: dict) -> bytes:
        with self._lock:
            if not self.running:
                self._start()
            loop, k = self._loop, self._kaleido
        future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
        try:
            return future.result(RENDER_TIMEOUT_S + 15)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ExportUnavailable(f"Image export timed out after {RENDER_TIMEOUT_S + 15} s") from None

    def close(self) -> None:
        with self._lock:
            loop, k = self._loop, self._kaleido
            self._loop = self._kaleido = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(15)
        except Exception:  # noqa: BLE001, S110 - closing at exit: nothing useful left to do
            pass
        loop.call_soon_threadsafe(loop.stop)


_RENDERER = _Renderer()


def unavailable_reason() -> str | None:
    """None when images can probably be rendered; else a readable reason (cheap: starts no browser).

    Pages use it to disable the download buttons with the reason as help text.
    """
    return _RENDERER.problem()


def figure_to_image(
    fig, fmt: str = "png", scale: float = 2, width: int | None = None, height: int | None = None
) -> bytes:
    """A plotly figure as PNG or SVG bytes, rendered by kaleido in this process's browser.

    `scale` multiplies the pixel size (PNG resolution); `width`/`height` (CSS pixels) override the
    figure's own size. Raises ExportUnavailable (never hangs) when no browser can be used.
    """
    fmt = fmt.lower()
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"image format {fmt!r}: use one of {', '.join(IMAGE_FORMATS)}")
    if not (isinstance(scale, (int, float)) and scale > 0):
        raise ValueError(f"scale must be a number > 0, not {scale!r}")
    opts: dict = {"format": fmt, "scale": scale}
    if width:
        opts["width"] = width
    if height:
        opts["height"] = height
    return _RENDERER.render(fig, opts)


def close_renderer() -> None:
    """Stop the browser (it stops by itself at exit; tests and long-lived servers may call this)."""
    _RENDERER.close()


@dataclass(frozen=True)
class Download:
    """What `st.download_button(d.label, d.data, d.file_name, d.mime)` needs.

    `data` is a zero-argument callable: Streamlit (>= 1.4x) runs it only when the button is clicked.
    """

    label: str
    file_name: str
    mime: str
    data: Callable[[], bytes]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def figure_downloads(fig, name: str, *, scale: float = 2, formats: tuple[str, ...] = ("png", "svg")) -> list[Download]:
    """One Download per image format for a chart; `name` becomes the file name ("MQL trend" -> mql-trend.png)."""
    return [
        Download(
            f"Download {fmt.upper()}",
            f"{slug(name)}.{fmt}",
            IMAGE_FORMATS[fmt],
            partial(figure_to_image, fig, fmt, scale),
        )
        for fmt in formats
    ]


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


# -- the meeting deck -----------------------------------------------------------------------------------
WIDE = (Emu(12_192_000), Emu(6_858_000))  # 13.333 x 7.5 in: 16:9
# the joint scorecard: each metric sits on its registry side (marketing | sales | joint)
SCORECARD = (
    "leads",
    "mqls",
    "mql_target_attainment",
    "lead_to_mql_rate",
    "acceptance_rate",
    "marketing_sourced_pipeline",
    "marketing_cost",
    "cost_per_mql",
    "marketing_roi",
    "sqls",
    "opportunities",
    "pipeline",
    "bookings",
    "win_rate",
    "sla_response_rate",
    "sla_decision_rate",
    "median_response_hours",
    "sales_cycle_days",
    "mql_to_sql_rate",
    "lead_to_won_rate",
)
STEP_RATES = ("lead_to_mql_rate", "mql_to_sql_rate", "sql_to_opp_rate", "opp_to_won_rate")
FUNNEL_KEYS = ("funnel_leads", "funnel_mqls", "funnel_sals", "funnel_sqls", "funnel_opportunities", "funnel_won")
SLA_KEYS = ("sla_response_rate", "sla_decision_rate", "acceptance_rate", "mql_target_attainment")
TREND_METRIC = "mql_to_sql_rate"
TREND_MONTHS = 12
TOP_CAMPAIGNS = 8
TOP_CHANNELS = 8
GREY = RGBColor(0x6B, 0x72, 0x80)
LIGHT = RGBColor(0xF3, 0xF4, 0xF6)
GOOD, BAD = RGBColor(0x15, 0x80, 0x3D), RGBColor(0xB9, 0x1C, 0x1C)


class TemplateError(ValueError):
    """The --template file can't serve as the deck's template; the message says why."""


@dataclass
class DeckData:
    """Everything the deck shows, from the same Funnel queries the pages and the CLI use."""

    period: Period
    previous: Period
    filters: Filters
    as_of: dt.datetime
    generated_at: dt.datetime
    policy: object
    current: dict  # kpi row of the period
    prior: dict  # kpi row of the previous period
    trend: pl.DataFrame  # kpi rows, one per month, oldest first, with a "label" column
    attribution: pl.DataFrame  # every model's campaign rows for the period
    scoring: pl.DataFrame
    plan: dict | None
    plan_period: Period
    plan_problem: str | None = None
    plan_target_source: str = ""
    image_problems: list[str] = field(default_factory=list)
    # the meeting record (dashboard/meetings.py): the view's chart notes, and the meetings' decisions and actions
    chart_notes: list = field(default_factory=list)
    record: object = None  # a meetings.MeetingRecord; None: no "Agreed" slides
    # what changed since the previous snapshot and where the quarter will land (collect_landing)
    changes: dict | None = None
    movers: list = field(default_factory=list)
    changes_problem: str | None = None
    pace: dict | None = None
    pace_daily: pl.DataFrame | None = None
    projection: pl.DataFrame | None = None
    learned_from: str = ""

    @property
    def currency(self) -> str:
        return self.policy.currency

    def label(self, period: Period) -> str:
        """A period's name, fiscal quarters and years by their fiscal names ("FY2027 Q1 (Feb-Apr 2026)")."""
        from dashboard.periods import fiscal_label

        return fiscal_label(period, self.policy.fiscal_year_start_month)

    @property
    def model(self) -> str:
        return self.policy.model

    def fmt(self, key: str, value) -> str:
        return format_value(value, BY_KEY[key].unit, self.currency)

    def as_of_text(self) -> str:
        local = self.as_of.astimezone(self.policy.zone)
        return f"{local:%Y-%m-%d %H:%M} {self.policy.timezone}"

    def scope(self) -> str | None:
        """The filter context in the words findings end with ("in Enterprise"); None without filters."""
        from dashboard.findings import scope_text

        return scope_text(self.filters)

    def context(self) -> str:
        return (
            f"{self.label(self.period)} vs {self.label(self.previous)} · {self.filters.describe()} · "
            f"snapshot as of {self.as_of_text()}"
        )

    def cohort_matures_on(self, period: Period) -> dt.date:
        return cohort_matures_at(period, self.policy.zone, self.policy.window_days).date()


def collect(
    funnel, period: Period | None = None, filters: Filters | None = None, generated_at: dt.datetime | None = None
) -> DeckData:
    """Run the deck's queries (the Funnel API's, nothing of its own)."""
    period = period or funnel.default_period()
    filters = filters or Filters()
    previous = period.previous()
    rows = {r["period_key"]: r for r in funnel.kpi_table([previous, period], filters).iter_rows(named=True)}
    months = trailing_months(period.end, TREND_MONTHS)
    trend = funnel.kpi_table(months, filters)
    labels = {p.key: p.label() for p in months}
    trend = trend.with_columns(pl.col("period_key").replace_strict(labels, default=None).alias("label"))
    attribution = funnel.attribution_table(period, filters, None)
    scoring = funnel.scoring_table(period, filters)
    # the reverse-funnel plan for the month after the period, or after a fiscal quarter the next fiscal
    # quarter (Funnel.plan_target: the page's rule too)
    fiscal = funnel.policy.fiscal_year_start_month
    plan_period, plan_target, target_source = funnel.plan_target(period, filters)
    plan, problem = None, None
    if plan_target is None:
        problem = (
            f"No bookings target for {fiscal_label(plan_period, fiscal)} or {fiscal_label(period, fiscal)} "
            "in the snapshot's targets: no plan to show."
        )
    else:
        plan = funnel.plan(plan_target, plan_period.start, plan_period.end, **filters.as_dict())
    return DeckData(
        period=period,
        previous=previous,
        filters=filters,
        as_of=funnel.as_of,
        generated_at=(generated_at or dt.datetime.now(dt.UTC)),
        policy=funnel.policy,
        current=rows[period.key],
        prior=rows[previous.key],
        trend=trend,
        attribution=attribution,
        scoring=scoring,
        plan=plan,
        plan_period=plan_period,
        plan_problem=problem,
        plan_target_source=target_source,
    )


# -- colours from charts.py ---------------------------------------------------------------------------
def _rgb(colour: str) -> RGBColor:
    """'#1f77b4', '1f77b4' or 'rgb(31,119,180)' as an RGBColor."""
    text = str(colour).strip()
    if text.startswith("rgb"):
        r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", text)[:3])
        return RGBColor(r, g, b)
    return RGBColor.from_string(text.lstrip("#")[:6].upper())


def _side_colour(side: str) -> RGBColor:
    from dashboard import charts

    return _rgb(charts.SIDE_COLORS.get(side, charts.JOINT_COLOR))


# -- the Presentation, its layouts and geometry ---------------------------------------------------------
@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int

    def split(self, share: float, gap: int = Inches(0.3)) -> tuple[Box, Box]:
        first = int((self.width - gap) * share)
        return (
            Box(self.left, self.top, first, self.height),
            Box(self.left + first + gap, self.top, self.width - first - gap, self.height),
        )


_TITLES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE}
_FURNITURE = {PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.HEADER}
_CONTENT = {
    PP_PLACEHOLDER.OBJECT,
    PP_PLACEHOLDER.BODY,
    PP_PLACEHOLDER.CHART,
    PP_PLACEHOLDER.TABLE,
    PP_PLACEHOLDER.PICTURE,
}


def _types(layout) -> list:
    return [ph.placeholder_format.type for ph in layout.placeholders if ph.placeholder_format.type not in _FURNITURE]


@dataclass
class Layouts:
    """The layouts the deck uses, chosen by their placeholders' types (never by name)."""

    cover: object  # a title (or centre title) and a subtitle
    title_only: object | None  # a title and no content placeholder
    title_content: object | None  # a title and one content placeholder

    @classmethod
    def detect(cls, prs) -> Layouts:
        layouts = list(prs.slide_layouts)
        cover = title_only = title_content = None
        for layout in layouts:
            kinds = _types(layout)
            titles = [k for k in kinds if k in _TITLES]
            rest = [k for k in kinds if k not in _TITLES]
            if len(titles) != 1:
                continue
            if cover is None and rest == [PP_PLACEHOLDER.SUBTITLE]:
                cover = layout
            elif title_only is None and not rest:
                title_only = layout
            elif title_content is None and len(rest) == 1 and rest[0] in _CONTENT:
                title_content = layout
        if title_only is None and title_content is None:
            raise TemplateError(
                "the template has no slide layout with a title placeholder and at most one "
                "content placeholder (a 'Title Only' or 'Title and Content' layout)"
            )
        return cls(cover or title_only or title_content, title_only, title_content)


def _widen(prs) -> None:
    """python-pptx's built-in template is 4:3: stretch its master's and layouts' shapes to 16:9."""
    factor = WIDE[0] / prs.slide_width
    prs.slide_width, prs.slide_height = WIDE
    # read every box first (layouts inherit the master's), then set all four coordinates together:
    # python-pptx zeroes the others when one is set alone
    boxes = [
        (s, (s.left, s.top, s.width, s.height)) for part in (prs.slide_master, *prs.slide_layouts) for s in part.shapes
    ]
    for shape, (left, top, width, height) in boxes:
        if None not in (left, top, width, height):
            shape.left, shape.top, shape.width, shape.height = int(left * factor), top, int(width * factor), height


def _open_template(template: str | Path | None):
    if template is None:
        prs = Presentation()
        _widen(prs)
        return prs
    path = Path(template)
    if not path.is_file():
        raise TemplateError(f"template {str(path)!r}: no such file")
    try:
        prs = Presentation(str(path))
    except Exception as exc:  # noqa: BLE001 - python-pptx raises several kinds for a bad package
        raise TemplateError(
            f"template {str(path)!r} is not a PowerPoint .pptx file "
            f"({type(exc).__name__}: {exc}); save a .potx as .pptx first"
        ) from None
    ratio = prs.slide_width / prs.slide_height
    if abs(ratio - 16 / 9) > 0.01:
        raise TemplateError(
            f"template {str(path)!r} is {prs.slide_width / 914400:.2f} x "
            f"{prs.slide_height / 914400:.2f} in, not 16:9: the deck is widescreen "
            "(in PowerPoint: Design > Slide Size > Widescreen, then save the template again)"
        )
    # a template may hold example slides: the deck starts empty
    slide_ids = prs.slides._sldIdLst  # noqa: SLF001 - python-pptx has no public slide removal
    for slide_id in list(slide_ids):
        prs.part.drop_rel(slide_id.rId)
        slide_ids.remove(slide_id)
    return prs


class _Deck:
    """A Presentation plus the geometry rules of its layouts."""

    MARGIN = Inches(0.5)

    def __init__(self, template: str | Path | None):
        self.prs = _open_template(template)
        self.layouts = Layouts.detect(self.prs)
        self.footers: list[tuple[object, Box]] = []

    @property
    def width(self) -> int:
        return self.prs.slide_width

    @property
    def height(self) -> int:
        return self.prs.slide_height

    def _footer_top(self, layout) -> int:
        tops = [
            ph.top
            for ph in layout.placeholders
            if ph.placeholder_format.type in _FURNITURE and ph.top is not None and ph.top > self.height / 2
        ]
        return min(tops) if tops else self.height - Inches(0.5)

    def cover(self, title: str, lines: list[str]):
        slide = self.prs.slides.add_slide(self.layouts.cover)
        if slide.shapes.title is not None:
            slide.shapes.title.text = title
        subtitle = next((ph for ph in slide.placeholders if ph.placeholder_format.type not in _TITLES), None)
        if subtitle is None:  # a title-only layout stood in for a cover: a text box under the title
            box = Box(self.MARGIN, int(self.height * 0.55), self.width - 2 * self.MARGIN, int(self.height * 0.3))
            subtitle = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        _write_lines(subtitle.text_frame, lines, size=18)
        return slide

    def content(self, title: str):
        """A slide with `title`, and the box its chart or table may fill."""
        layout = self.layouts.title_only or self.layouts.title_content
        slide = self.prs.slides.add_slide(layout)
        title_shape = slide.shapes.title
        title_shape.text = title
        tf = title_shape.text_frame
        tf.word_wrap = True
        for p in tf.paragraphs:
            for r in p.runs:
                r.font.size = Pt(26 if len(title) <= 70 else 22)
        footer_top = self._footer_top(layout)
        content = next((ph for ph in slide.placeholders if ph.placeholder_format.type in _CONTENT), None)
        if content is not None:  # use the layout's content area, then drop the empty placeholder
            area = Box(content.left, content.top, content.width, min(content.height, footer_top - content.top))
            content._element.getparent().remove(content._element)  # noqa: SLF001
        else:
            top = title_shape.top + title_shape.height + Inches(0.15)
            left, width = title_shape.left, title_shape.width
            if width < self.width * 0.7:  # a narrow title: use the slide's width
                left, width = self.MARGIN, self.width - 2 * self.MARGIN
            area = Box(left, top, width, footer_top - Inches(0.1) - top)
        self.footers.append((slide, Box(area.left, footer_top, area.width, Inches(0.35))))
        return slide, area

    def finish(self, data: DeckData) -> bytes:
        context = data.context()
        props = self.prs.core_properties
        props.title = f"Funnel review · {data.label(data.period)}"
        props.subject = context
        props.author = props.last_modified_by = "Shared Funnel"
        props.keywords = "funnel; sales; marketing"
        props.comments = f"Generated from the snapshot as of {data.as_of_text()}"
        props.created = props.modified = data.generated_at.astimezone(dt.UTC).replace(tzinfo=None)
        props.revision = 1
        total = len(self.prs.slides)
        index = {id(s): i + 1 for i, s in enumerate(self.prs.slides)}
        for slide, box in self.footers:
            tb = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
            tb.name = "Footer context"
            tf = tb.text_frame
            tf.word_wrap = True
            tf.margin_left = tf.margin_right = 0
            _write_lines(tf, [f"{context}  ·  {index[id(slide)]}/{total}"], size=10, colour=GREY)
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _write_lines(tf, lines: list[str], size: int, colour: RGBColor | None = None, bold_first: bool = False) -> None:
    tf.clear()
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = line
        run.font.size = Pt(size)
        if colour is not None:
            run.font.color.rgb = colour
        if bold_first and i == 0:
            run.font.bold = True


def _notes(slide, data: DeckData, headline: str, keys: list[str], extra: list[str] = ()) -> None:
    """Speaker notes: the finding, each number's definition from the registry, the context."""
    p = data.policy
    lines = [headline, "", "What the numbers mean:"]
    for key in dict.fromkeys(keys):
        m = metric_for(key, p)
        lines.append(f"• {m.label}: {m.definition} (queries/{m.query}.sql)")
    lines += ["", *extra] if extra else []
    lines += [
        "",
        f"Period {data.label(data.period)} ({data.period.start} to {data.period.end}), compared with "
        f"{data.label(data.previous)}; filters: {data.filters.describe()}; snapshot as of {data.as_of_text()}.",
        f"Policy (funnel.toml): W = {p.window_days:g} days, H = {p.first_response_hours:g} hours, "
        f"D = {p.decision_days:g} days, L = {p.lookback_days:g} days, attribution model {p.model}.",
    ]
    if p.clock == "business":
        lines.append(
            f"SLA clock: business hours. H = {p.first_response_hours:g} business hours and "
            f"D = {p.decision_days:g} working days of the business calendar: {p.calendars.describe()}."
        )
    slide.notes_slide.notes_text_frame.text = "\n".join(lines)


# -- number formatting for tables and native charts -----------------------------------------------------
def change_text(key: str, current, previous, currency: str = "USD") -> tuple[str, bool | None]:
    """The change as the pages show it (findings.delta_text), and whether it is good news (None: neutral)."""
    from dashboard.findings import delta_color, delta_text

    text = delta_text(key, current, previous, currency)
    if text is None:
        return "–", None
    direction = delta_color(key)
    if direction == "off" or current == previous:
        return text, None
    return text, (current > previous) == (direction == "normal")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- slides ---------------------------------------------------------------------------------------------
def _cell(
    cell,
    text: str,
    size: int = 12,
    bold: bool = False,
    colour: RGBColor | None = None,
    fill: RGBColor | None = None,
    align=PP_ALIGN.LEFT,
) -> None:
    cell.text = text
    cell.margin_left = cell.margin_right = Inches(0.08)
    cell.margin_top = cell.margin_bottom = Inches(0.02)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    for p in cell.text_frame.paragraphs:
        p.alignment = align
        for r in p.runs:
            r.font.size = Pt(size)
            r.font.bold = bold
            if colour is not None:
                r.font.color.rgb = colour
    if fill is not None:
        cell.fill.solid()
        cell.fill.fore_color.rgb = fill


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


def _label(value) -> str:
    """A category of a plotly axis as slide text: dates as months, HTML line breaks as new lines."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value:%b %Y}"
    text = re.sub(r"<br\s*/?>", "\n", str(value))
    return re.sub(r"<[^>]+>", "", text)


@dataclass
class _Series:
    name: str
    values: list
    colour: object = None  # a colour, or one per point
    dash: str | None = None
    labels: str = "all"  # which points carry a data label: all | last | none
    blank: tuple[int, ...] = ()  # points whose label the figure leaves empty


def _figure_series(fig) -> tuple[object, list[str], list[_Series], bool]:
    """A plotly figure of bars (one orientation) or lines as (chart type, categories, series, top_down).

    Reference lines (fig.add_hline) become constant series named by their annotation.
    """
    from dashboard.charts import NOTES_TRACE

    noted = [d for t in fig.data if t.meta == NOTES_TRACE for d in t.x]  # chart notes: a ▲ on their month
    traces = [t for t in fig.data if t.meta != NOTES_TRACE]
    kinds = {t.type for t in traces}
    if kinds == {"bar"}:
        horizontal = traces[0].orientation == "h"
        cats = [_label(c) for c in (traces[0].y if horizontal else traces[0].x)]
        # bars carry data labels when the figure writes values on them
        series = [
            _Series(
                t.name or "",
                list(t.x if horizontal else t.y),
                t.marker.color,
                labels="all" if t.text is not None else "none",
            )
            for t in traces
        ]
        kind = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
        top_down = horizontal and fig.layout.yaxis.autorange == "reversed"
        return kind, cats, series, top_down
    if kinds == {"scatter"} and all("lines" in (t.mode or "lines") for t in traces):
        cats = [_label(c) + (" ▲" if any(_same_month(c, d) for d in noted) else "") for c in traces[0].x]
        series = [
            _Series(
                t.name or "",
                list(t.y),
                t.line.color,
                t.line.dash,
                "all" if "text" in (t.mode or "") else "last",
                tuple(i for i, text in enumerate(t.text or ()) if not text),
            )
            for t in traces
        ]
        notes = {round(a.y, 9): a.text for a in fig.layout.annotations if a.y is not None}
        for shape in fig.layout.shapes:
            if shape.type == "line" and shape.y0 is not None and shape.y0 == shape.y1:
                series.append(
                    _Series(
                        notes.get(round(shape.y0, 9), "reference"),
                        [shape.y0] * len(cats),
                        shape.line.color,
                        shape.line.dash or "dash",
                        "none",
                    )
                )
        return XL_CHART_TYPE.LINE_MARKERS, cats, series, False
    raise ValueError(f"no native chart for traces {sorted(kinds)}")


def _same_month(a, b) -> bool:
    return isinstance(a, dt.date) and isinstance(b, dt.date) and (a.year, a.month) == (b.year, b.month)


def _native_chart(slide, box: Box, fig, number_format: str, name: str = "Chart"):
    """A native, editable chart drawing what a charts.py figure draws (its data travels inside the file)."""
    kind, categories, series, top_down = _figure_series(fig)
    chart_data = CategoryChartData(number_format=number_format)
    chart_data.categories = categories
    for s in series:
        chart_data.add_series(s.name, [v if _is_number(v) else None for v in s.values])
    frame = slide.shapes.add_chart(kind, box.left, box.top, box.width, box.height, chart_data)
    frame.name = name
    chart = frame.chart
    chart.has_title = False  # the slide's title says what the chart shows
    chart.font.size = Pt(12)
    chart.has_legend = len(series) > 1 and fig.layout.showlegend is not False
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(12)
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE5, 0xE7, 0xEB)
    value_axis.format.line.fill.background()
    value_axis.tick_labels.number_format = number_format
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.tick_labels.font.size = Pt(11)
    value_axis.tick_labels.font.color.rgb = GREY
    if not any(_is_number(v) and v < 0 for s in series for v in s.values):
        value_axis.minimum_scale = 0
    chart.category_axis.tick_labels.font.size = Pt(12 if len(categories) <= 8 else 11)
    chart.category_axis.format.line.color.rgb = RGBColor(0xD1, 0xD5, 0xDB)
    plot = chart.plots[0]
    line = kind == XL_CHART_TYPE.LINE_MARKERS
    if not line:
        plot.gap_width = 50
        plot.overlap = 0
    for s, ps in zip(series, plot.series):
        colours = list(s.colour) if isinstance(s.colour, (list, tuple)) else None
        if line:
            ps.smooth = False
            ps.format.line.width = Pt(3 if s.labels != "none" else 2)
            if s.colour:
                ps.format.line.color.rgb = _rgb(s.colour)
                ps.marker.format.fill.solid()
                ps.marker.format.fill.fore_color.rgb = _rgb(s.colour)
                ps.marker.format.line.color.rgb = _rgb(s.colour)
            if s.dash and s.dash != "solid":
                dot = s.dash == "dot"
                ps.format.line.dash_style = MSO_LINE_DASH_STYLE.ROUND_DOT if dot else MSO_LINE_DASH_STYLE.DASH
            if s.labels == "none":
                ps.marker.style = XL_MARKER_STYLE.NONE
        elif colours:
            for i, c in enumerate(colours):
                point = ps.points[i]
                point.format.fill.solid()
                point.format.fill.fore_color.rgb = _rgb(c)
        elif s.colour:
            ps.format.fill.solid()
            ps.format.fill.fore_color.rgb = _rgb(s.colour)
        _data_labels(ps, s, number_format, kind)
    if top_down:
        chart.category_axis.reverse_order = True
        # the value axis crosses the reversed category axis at its last category, the bottom; python-pptx
        # only sets where the *category* axis crosses, so this attribute is set in the XML
        for crosses in chart._chartSpace.xpath(".//c:valAx/c:crosses"):  # noqa: SLF001
            crosses.set("val", "max")
    return chart


def _data_labels(ps, s: _Series, number_format: str, kind) -> None:
    if s.labels == "none":
        return
    position = XL_LABEL_POSITION.ABOVE if kind == XL_CHART_TYPE.LINE_MARKERS else XL_LABEL_POSITION.OUTSIDE_END
    if s.labels == "all":
        dl = ps.data_labels
        dl.show_value = True
        dl.number_format = number_format
        dl.number_format_is_linked = False
        dl.font.size = Pt(11)
        dl.position = position
        for i in s.blank:  # e.g. where a dashed series continues a solid one: one label, not two
            _hide_label(ps, i)
        return
    last = max((i for i, v in enumerate(s.values) if _is_number(v)), default=None)
    if last is None:
        return
    # one point's label (the latest value); python-pptx has no number format for a single label
    dl = ps.points[last].data_label
    dl.font.size = Pt(11)
    dl.font.bold = True
    dl.position = XL_LABEL_POSITION.RIGHT if kind == XL_CHART_TYPE.LINE_MARKERS else position
    d_lbl = dl._get_or_add_dLbl()  # noqa: SLF001
    num = d_lbl.find(qn("c:numFmt"))
    if num is None:
        num = OxmlElement("c:numFmt")
        d_lbl.find(qn("c:spPr")).addprevious(num)
    num.set("formatCode", number_format)
    num.set("sourceLinked", "0")


def _hide_label(ps, index: int) -> None:
    """No data label on one point (python-pptx has no API for it: a c:dLbl holding c:delete)."""
    d_lbl = ps._element.get_or_add_dLbls()._insert_dLbl_in_sequence(index)  # noqa: SLF001
    for child in list(d_lbl):
        if child.tag != qn("c:idx"):
            d_lbl.remove(child)
    delete = OxmlElement("c:delete")
    delete.set("val", "1")
    d_lbl.append(delete)


def _picture(slide, box: Box, fig, alt_text: str, data: DeckData) -> bool:
    """A high-resolution PNG of a charts.py figure, fitted into box; a note in its place without a browser."""
    fig = copy.deepcopy(fig)
    fig.update_layout(title=None, margin={"t": 20})  # the slide title states the finding
    width_px = 1100
    height_px = round(width_px * box.height / box.width)
    try:
        png = figure_to_image(fig, "png", scale=2.5, width=width_px, height=height_px)
    except ExportUnavailable as exc:
        if str(exc) not in data.image_problems:
            data.image_problems.append(str(exc))
        tb = slide.shapes.add_textbox(box.left, box.top + box.height // 4, box.width, box.height // 2)
        tb.name = "Picture unavailable"
        tb.text_frame.word_wrap = True
        _write_lines(
            tb.text_frame,
            ["Chart picture unavailable on this machine.", str(exc), "", alt_text, "(More in this slide's notes.)"],
            size=14,
            colour=GREY,
            bold_first=True,
        )
        return False
    pic = slide.shapes.add_picture(io.BytesIO(png), box.left, box.top, box.width, box.height)
    pic.name = "Chart picture"
    pic._element.nvPicPr.cNvPr.set("descr", alt_text)  # noqa: SLF001 - alt text for screen readers
    return True


def _maturing(data: DeckData, period: Period, row: dict) -> str:
    return "" if row["cohort_mature"] else f" (cohort still maturing until {data.cohort_matures_on(period):%d %b})"


def slide_funnel(deck: _Deck, data: DeckData) -> None:
    from dashboard import charts, findings

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
    from dashboard import charts, findings

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
    from dashboard import charts, findings

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
    from dashboard import charts, findings

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
    from dashboard import charts, findings

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
    from dashboard import charts, findings

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
    from dashboard import charts, findings

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


def _caption(slide, box: Box, lines: list[str], size: int = 14) -> Box:
    """Grey lines of text atop box; returns the box left below them."""
    per_line = max(20, int(box.width / 914400 * 72 / (size * 0.5)))  # characters a line holds, roughly
    n = sum(math.ceil(max(len(line), 1) / per_line) for line in lines)
    height = int(Pt(size) * 1.3 * n + Inches(0.12))
    tb = slide.shapes.add_textbox(box.left, box.top, box.width, height)
    tb.name = "Caption"
    tb.text_frame.word_wrap = True
    _write_lines(tb.text_frame, lines, size=size, colour=GREY)
    return Box(box.left, box.top + height, box.width, box.height - height)


def _empty(slide, box: Box, message: str) -> None:
    tb = slide.shapes.add_textbox(box.left, box.top + box.height // 3, box.width, box.height // 3)
    tb.text_frame.word_wrap = True
    _write_lines(tb.text_frame, [message], size=18, colour=GREY)


# -- the meeting record: chart notes on the trends, and what was agreed --------------------------------------
RECORD_ROWS = 11  # decisions and actions a slide's table holds; the rest are listed in its notes
RECORD_CHARS = 150  # characters of an item's text in the table (all of it in the notes)


def _chart_notes_shown(fig, data: DeckData) -> list:
    """The chart notes a figure's axis covers (charts.note_layers drew exactly these)."""
    from dashboard.charts import note_axis_span

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


def meeting_record_of(funnel, data_root: str | Path, generated_on: dt.date | None = None):
    """The record (previous meeting's and this one's items) and chart notes of a data root, for `funnel
    export`: (None, []) when the root keeps no meetings.sqlite."""
    from dashboard.engines import is_uri
    from dashboard.meetings import MeetingStore
    from dashboard.periods import local_date
    from dashboard.snapshots import previous_snapshot

    if is_uri(str(data_root)):
        return None, []
    store = MeetingStore.open(data_root, read_only=True)
    if not store.exists:
        return None, []
    info = funnel.store.snapshot
    single = (Path(data_root) / "snapshot.json").is_file()
    prev = None if single else previous_snapshot(info)
    on = generated_on or local_date(dt.datetime.now(dt.UTC), funnel.policy.zone)
    return store.record(info.name, prev.name if prev else None, on), store.notes()


# -- what changed since the last meeting, and where the quarter will land ----------------------------------
def collect_landing(funnel, data: DeckData) -> None:
    """The Funnel API's waterfall (this snapshot against the one before), pace of the quarter holding as_of,
    and the projected rates of the trend's maturing months, added to `data`."""
    filters = data.filters.as_dict()
    try:
        data.changes = funnel.changes(**filters)
        data.movers = funnel.change_records("moved", **filters).head(3).to_dicts()
    except ArgumentError as exc:  # the oldest (or only) snapshot: nothing to compare with
        data.changes_problem = str(exc)
    data.pace = funnel.pace(**filters)
    data.pace_daily = funnel.pace_daily(data.filters)
    months = [Period.from_key(k) for k in data.trend["period_key"].to_list()]
    data.projection = funnel.projection_table(months, data.filters)
    trailing = funnel.default_trailing()
    data.learned_from = f"{trailing.start:%b %Y} – {trailing.end:%b %Y}"


def _waterfall_chart(slide, box: Box, changes: dict, currency: str):
    """The waterfall as a native, editable chart: stacked columns on an invisible base (PowerPoint's own
    waterfall type is not in the file format python-pptx writes). Each column is one bucket of Funnel.changes."""
    from dashboard.charts import DOWN_COLOR, SALES_COLOR, UP_COLOR, WATERFALL_STEPS, _day_label

    categories, base, up, down, total = [], [], [], [], []
    level = 0.0
    for key, sign in WATERFALL_STEPS:
        amount = changes["buckets"][key]["amount"]
        label = {
            "start": f"Open {_day_label(changes['from_as_of'])}",
            "end": f"Open {_day_label(changes['to_as_of'])}",
        }.get(key, BY_KEY[f"changes_{key}"].label)
        categories.append(label)
        if sign == 0:
            level = amount
            base.append(None), up.append(None), down.append(None), total.append(amount)
        elif sign > 0:
            base.append(level), up.append(amount or None), down.append(None), total.append(None)
            level += amount
        else:
            level -= amount
            base.append(level), up.append(None), down.append(amount or None), total.append(None)
    number_format = excel_format("currency", currency, max(v or 0 for v in total))
    chart_data = CategoryChartData(number_format=number_format)
    chart_data.categories = categories
    for name, values in (("base", base), ("Added", up), ("Taken away", down), ("Open pipeline", total)):
        chart_data.add_series(name, values)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_STACKED, box.left, box.top, box.width, box.height, chart_data)
    frame.name = "Waterfall"
    chart = frame.chart
    chart.has_title = False
    chart.has_legend = False
    chart.font.size = Pt(12)
    chart.plots[0].gap_width = 40
    chart.plots[0].overlap = 100
    value_axis = chart.value_axis
    value_axis.minimum_scale = 0
    value_axis.tick_labels.number_format = number_format
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE5, 0xE7, 0xEB)
    for ps, colour in zip(chart.plots[0].series, (None, UP_COLOR, DOWN_COLOR, SALES_COLOR)):
        if colour is None:
            ps.format.fill.background()  # the invisible base the visible step stands on
            ps.format.line.fill.background()
            continue
        ps.format.fill.solid()
        ps.format.fill.fore_color.rgb = _rgb(colour)
        dl = ps.data_labels
        dl.show_value = True
        dl.number_format = number_format
        dl.number_format_is_linked = False
        dl.font.size = Pt(11)
        dl.position = XL_LABEL_POSITION.INSIDE_END
    return chart


def _xy_chart(slide, box: Box, fig, number_format: str, name: str):
    """A native XY chart of a charts.py figure whose lines have x values of their own (dates): the pace
    chart's cumulative line, its two-point target line and its run-rate line, as the page draws them."""
    from pptx.chart.data import XyChartData

    def serial(value) -> float:  # an Excel date serial: days since 1899-12-30
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        return float((day - dt.date(1899, 12, 30)).days)

    chart_data = XyChartData()
    traces = [t for t in fig.data if t.x is not None and len(t.x)]
    for trace in traces:
        series = chart_data.add_series(trace.name or "")
        for x, y in zip(trace.x, trace.y):
            if _is_number(y):
                series.add_data_point(serial(x), y)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS, box.left, box.top, box.width, box.height, chart_data
    )
    frame.name = name
    chart = frame.chart
    chart.has_title = False
    chart.font.size = Pt(12)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    days = chart.category_axis  # the X (value) axis of an XY chart
    days.tick_labels.number_format = "d mmm"
    days.tick_labels.number_format_is_linked = False
    first, last = fig.layout.xaxis.range or (None, None)
    if first is not None:
        days.minimum_scale, days.maximum_scale = serial(first), serial(last)
    days.major_unit = 14
    value_axis = chart.value_axis
    value_axis.minimum_scale = 0
    value_axis.tick_labels.number_format = number_format
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE5, 0xE7, 0xEB)
    for trace, ps in zip(traces, chart.plots[0].series):
        ps.smooth = False
        ps.format.line.color.rgb = _rgb(trace.line.color)
        ps.format.line.width = Pt(3 if not trace.line.dash else 2)
        if trace.line.dash:
            dot = trace.line.dash == "dot"
            ps.format.line.dash_style = MSO_LINE_DASH_STYLE.ROUND_DOT if dot else MSO_LINE_DASH_STYLE.DASH
    return chart


def slide_changes(deck: _Deck, data: DeckData) -> None:
    from dashboard import findings

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
    from dashboard import charts, findings

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


# -- `funnel export` ------------------------------------------------------------------------------------
def add_arguments(parser) -> None:
    from dashboard.commands import common_arguments

    common_arguments(parser)  # --data --snapshot --from --to, the filters, --json (a summary of what was written)
    parser.add_argument("--out", required=True, metavar="FILE.pptx", help="where to write the deck")
    parser.add_argument("--template", metavar="FILE.pptx", help="a 16:9 PowerPoint file whose slide layouts to use")


def run(args) -> int:
    import json

    from dashboard.api import Funnel
    from dashboard.commands import apply_period_argument
    from dashboard.engines import EngineError
    from dashboard.errors import UsageError
    from dashboard.filters import FILTER_KEYS
    from dashboard.meetings import MeetingError
    from dashboard.policy import PolicyError
    from dashboard.snapshots import SnapshotError

    out = Path(args.out)
    if out.suffix.lower() != ".pptx":
        raise UsageError(f"--out {args.out!r}: the deck is a .pptx file")
    if not out.parent.is_dir():
        raise UsageError(f"--out {args.out!r}: folder {str(out.parent)!r} does not exist")
    try:
        funnel = Funnel.open(args.data, args.snapshot, engine=args.engine, spark_remote=args.spark_remote)
        apply_period_argument(args, funnel)  # --period FYyyyy-Qn, on the snapshot's fiscal calendar
        period = funnel.period(args.start, args.end)
        filters = funnel.filters(**{k: getattr(args, k) for k in FILTER_KEYS})
        record, chart_notes = meeting_record_of(funnel, args.data)
        result = render_deck(funnel, period, filters, args.template, record=record, chart_notes=chart_notes)
    except (ArgumentError, SnapshotError, PolicyError, TemplateError, EngineError, MeetingError) as exc:
        raise UsageError(str(exc)) from None
    out.write_bytes(result.content)
    for problem in result.image_problems:
        print(f"funnel export: warning: pictures left out: {problem}", file=sys.stderr)
    if args.json:
        json.dump(
            {
                "out": str(out),
                "slides": result.slides,
                "bytes": len(result.content),
                "seconds": round(result.seconds, 2),
                "period": period.as_dict(),
                "previous": period.previous().as_dict(),
                "filters": filters.as_dict(),
                "as_of": funnel.store.snapshot.as_of_iso,
                "images": not result.image_problems,
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        fiscal = funnel.policy.fiscal_year_start_month
        print(
            f"wrote {out}: {result.slides} slides, {len(result.content) / 1024:,.0f} KB, "
            f"{fiscal_label(period, fiscal)} vs {fiscal_label(period.previous(), fiscal)}, {filters.describe()}, "
            f"in {result.seconds:.1f} s"
        )
    return 0
