"""The deck's PowerPoint plumbing: the template and its layouts, text, tables, native charts and pictures.

Numbers in text are formatted by `metrics.format_value`; native charts carry the matching Excel number
formats (`metrics.excel_format`).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from pptx import Presentation
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from dashboard import charts
from dashboard.charts import DOWN_COLOR, NOTES_TRACE, SALES_COLOR, UP_COLOR, WATERFALL_STEPS, _day_label
from dashboard.deck.data import DeckData, _is_number
from dashboard.findings import delta_color, delta_text
from dashboard.images import ExportUnavailable, figure_to_image
from dashboard.metrics import BY_KEY, excel_format, metric_for

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


# -- the meeting deck -----------------------------------------------------------------------------------
WIDE = (Emu(12_192_000), Emu(6_858_000))  # 13.333 x 7.5 in: 16:9
GREY = RGBColor(0x6B, 0x72, 0x80)
LIGHT = RGBColor(0xF3, 0xF4, 0xF6)
GOOD, BAD = RGBColor(0x15, 0x80, 0x3D), RGBColor(0xB9, 0x1C, 0x1C)


class TemplateError(ValueError):
    """The --template file can't serve as the deck's template; the message says why."""


# -- colours from charts.py ---------------------------------------------------------------------------
def _rgb(colour: str) -> RGBColor:
    """'#1f77b4', '1f77b4' or 'rgb(31,119,180)' as an RGBColor."""
    text = str(colour).strip()
    if text.startswith("rgb"):
        r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", text)[:3])
        return RGBColor(r, g, b)
    return RGBColor.from_string(text.lstrip("#")[:6].upper())


def _side_colour(side: str) -> RGBColor:
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
    text = delta_text(key, current, previous, currency)
    if text is None:
        return "–", None
    direction = delta_color(key)
    if direction == "off" or current == previous:
        return text, None
    return text, (current > previous) == (direction == "normal")


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


def _waterfall_chart(slide, box: Box, changes: dict, currency: str):
    """The waterfall as a native, editable chart: stacked columns on an invisible base (PowerPoint's own
    waterfall type is not in the file format python-pptx writes). Each column is one bucket of Funnel.changes."""
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
