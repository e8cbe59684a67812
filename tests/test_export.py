"""Exports: chart images through kaleido, and the meeting deck read back with python-pptx.

tests/fixtures/template.pptx is a small "corporate" template made by `make_template` below
(`python tests/test_export.py` writes it again): widescreen, layouts in an unusual order with unusual
names, a brand band on the master, and the title placed where the default template doesn't put it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEMPLATE = FIXTURES / "template.pptx"
SAMPLE = ROOT / "data" / "sample"


# -- the template fixture ---------------------------------------------------------------------------------
def make_template(path: Path) -> None:
    """A corporate-looking template: only python-pptx, so anyone can regenerate it."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu, Inches

    prs = Presentation()
    factor = 12_192_000 / prs.slide_width
    prs.slide_width, prs.slide_height = Emu(12_192_000), Emu(6_858_000)
    layouts = list(prs.slide_layouts)
    keep = {
        "Blank": "Acme plain",
        "Title Only": "Acme headline",
        "Title and Content": "Acme headline + body",
        "Title Slide": "Acme opener",
    }
    for layout in layouts:
        if layout.name not in keep:
            prs.slide_layouts.remove(layout)
    # read every box first (layouts inherit the master's), then set all four coordinates together
    boxes = [
        (s, (s.left, s.top, s.width, s.height)) for part in (prs.slide_master, *prs.slide_layouts) for s in part.shapes
    ]
    for shape, (left, top, width, height) in boxes:
        if None not in (left, top, width, height):
            shape.left, shape.top, shape.width, shape.height = int(left * factor), top, int(width * factor), height
    # unusual names, unusual order (cover last): the deck must find layouts by their placeholders
    by_name = {layout.name: layout for layout in prs.slide_layouts}
    id_list = prs.slide_master._element.sldLayoutIdLst  # noqa: SLF001
    ids = {layout.name: el for layout, el in zip(prs.slide_layouts, list(id_list))}
    for old in ("Blank", "Title Only", "Title and Content", "Title Slide"):
        id_list.remove(ids[old])
        id_list.append(ids[old])
        by_name[old]._element.cSld.set("name", keep[old])  # noqa: SLF001
    # the headline sits lower and narrower than python-pptx's default title
    for layout in prs.slide_layouts:
        for ph in layout.placeholders:
            if ph.placeholder_format.idx == 0 and layout.name != "Acme opener":
                ph.left, ph.top, ph.width, ph.height = Inches(0.7), Inches(0.45), Inches(11.9), Inches(1.0)
    # a brand band along the master's top edge (drawn on a scratch slide, moved onto the master)
    scratch = prs.slides.add_slide(prs.slide_layouts[0])
    band = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, prs.slide_width, Inches(0.25))
    band.name = "Acme brand band"
    band.fill.solid()
    band.fill.fore_color.rgb = RGBColor(0x7C, 0x3A, 0xED)
    band.line.fill.background()
    tree = prs.slide_master.shapes._spTree  # noqa: SLF001
    tree.insert(2, band._element)  # noqa: SLF001 - after nvGrpSpPr/grpSpPr: behind the placeholders
    ids = prs.slides._sldIdLst  # noqa: SLF001
    prs.part.drop_rel(ids[0].rId)
    ids.remove(ids[0])
    prs.core_properties.title = "Acme template (test fixture)"
    prs.save(str(path))


if __name__ == "__main__":
    make_template(TEMPLATE)
    print(f"wrote {TEMPLATE}")


# -- fixtures ---------------------------------------------------------------------------------------------
GENERATED = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def funnel():
    from dashboard.api import Funnel

    return Funnel.open(SAMPLE)


@pytest.fixture(scope="module")
def deck(funnel):
    """The deck of the sample's default period, read back; and the numbers it was built from."""
    from pptx import Presentation

    from dashboard import export

    result = export.render_deck(funnel, generated_at=GENERATED)
    return Presentation(io.BytesIO(result.content)), result


@pytest.fixture(scope="module")
def template_deck(funnel):
    from pptx import Presentation

    from dashboard import export

    filters = funnel.filters(segment="Enterprise")
    content = export.build_deck(funnel, funnel.default_period(), filters, TEMPLATE, generated_at=GENERATED)
    return Presentation(io.BytesIO(content))


def texts(slide) -> list[str]:
    """Every text on a slide: shapes, and the cells of tables."""
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
    return out


def kinds(slide) -> dict[str, int]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    found = {"chart": 0, "picture": 0, "table": 0}
    for shape in slide.shapes:
        if shape.has_chart:
            found["chart"] += 1
        elif shape.has_table:
            found["table"] += 1
        elif shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
            found["picture"] += 1
    return found


def images_work() -> bool:
    from dashboard import export

    return export.unavailable_reason() is None


# -- the deck -----------------------------------------------------------------------------------------------
def test_deck_is_widescreen_with_a_slide_per_part(deck):
    prs, result = deck
    from dashboard.export import SLIDES

    assert prs.slide_width * 9 == prs.slide_height * 16
    assert len(prs.slides) == len(SLIDES) == result.slides == 11
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[0] == "Funnel review · Oct 2026"
    assert titles[1] == "Joint scorecard · Oct 2026 vs Sep 2026"
    assert all(t.strip() for t in titles)


def test_title_slide_names_period_filters_as_of_and_generation(deck):
    prs, _ = deck
    text = "\n".join(texts(prs.slides[0]))
    assert "01 Oct 2026 – 31 Oct 2026, compared with Sep 2026" in text
    assert "Filters: all records" in text
    assert "Snapshot as of 2026-10-31 23:59 UTC" in text  # the sample's as_of: 2026-10-31T23:59:59Z
    assert "Generated 2026-11-02 09:30 UTC" in text
    assert prs.core_properties.title == "Funnel review · Oct 2026"
    assert prs.core_properties.created == dt.datetime(2026, 11, 2, 9, 30)


def test_chart_titles_are_findings_in_words(deck, funnel):
    from dashboard import findings
    from dashboard.filters import Filters

    prs, _ = deck
    period = funnel.default_period()
    rows = {r["period_key"]: r for r in funnel.kpi_table([period.previous(), period], Filters()).iter_rows(named=True)}
    now, before = rows[period.key], rows[period.previous().key]
    titles = [s.shapes.title.text for s in prs.slides]
    expected = findings.change_finding("mql_to_sql_rate", now["mql_to_sql_rate"], before["mql_to_sql_rate"])
    assert titles[2].startswith(expected)  # the funnel: "MQL → SQL fell from 25% to 20% (cohort still maturing ...)"
    assert "still maturing" in titles[2]  # October's cohort had < 90 days by 31 Oct
    assert titles[3].startswith("MQL → SQL") and "latest mature cohorts" in titles[3]
    assert titles[6] == findings.sla_finding(now["sla_response_rate"], 24, now["sla_decision_rate"], 5)
    assert titles[8].startswith("Nov 2026: ") and "MQLs" in titles[8]
    for title in titles[2:]:
        assert len(title) < 140, title


def test_scorecard_is_a_native_table_side_by_side_with_the_cli_numbers(deck, funnel):
    from dashboard.export import SCORECARD
    from dashboard.metrics import BY_KEY, format_value

    prs, _ = deck
    slide = prs.slides[1]
    (table_shape,) = [s for s in slide.shapes if s.has_table]
    table = table_shape.table
    assert len(table.columns) == 8
    assert table.cell(0, 0).text == "Marketing" and table.cell(0, 4).text == "Sales"
    assert [table.cell(1, i).text for i in range(1, 4)] == ["Oct 2026", "Sep 2026", "Change"]
    kpis = funnel.kpis()["kpis"]  # what `funnel kpis --json` prints for the same period
    sides = {}
    for r in range(2, len(table.rows)):
        for col in (0, 4):
            label = table.cell(r, col).text
            key = next((k for k in SCORECARD if BY_KEY[k].label == label), None)
            if key is None:
                continue
            sides[key] = "marketing" if col == 0 else "sales"
            value = table.cell(r, col + 1).text.rstrip(" *")
            assert value == format_value(kpis[key], BY_KEY[key].unit), key
    assert set(sides) == set(SCORECARD)
    for key, side in sides.items():
        if BY_KEY[key].side != "joint":
            assert BY_KEY[key].side == side, key
    # October's conversion rates are starred and explained: its cohort is not mature
    assert any("Cohort still maturing" in t for t in texts(slide))


def test_charts_are_native_where_possible_and_pictures_otherwise(deck):
    from pptx.enum.chart import XL_CHART_TYPE

    prs, result = deck
    found = [kinds(s) for s in prs.slides]
    native = {2: 0, 3: 1, 4: 1, 5: 1, 6: 1, 7: 0, 8: 1}
    for index, count in native.items():
        assert found[index]["chart"] == count, index
    trend = next(s for s in prs.slides[3].shapes if s.has_chart).chart
    assert trend.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert [s.name for s in trend.plots[0].series] == [
        "MQL → SQL (mature cohorts)",
        "MQL → SQL (still maturing: will rise)",
        "MQL → SQL projected",
    ]
    assert len(list(trend.plots[0].categories)) == 12
    bars = next(s for s in prs.slides[4].shapes if s.has_chart).chart
    assert bars.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    assert found[8]["table"] == 1  # the plan's table beside its chart
    if images_work():
        assert found[2]["picture"] == 1 and found[7]["picture"] == 1  # funnel, scoring (error bars)
        assert not result.image_problems
    else:
        assert result.image_problems


def test_notes_hold_each_numbers_definition(deck):
    from dashboard.export import SCORECARD
    from dashboard.metrics import BY_KEY

    prs, _ = deck
    notes = [s.notes_slide.notes_text_frame.text for s in prs.slides]
    for key in SCORECARD:
        assert BY_KEY[key].definition in notes[1], key
    assert BY_KEY["mql_to_sql_rate"].definition in notes[3]
    assert BY_KEY["roi"].definition in notes[4]
    assert BY_KEY["score_auc"].definition in notes[7]
    for text in notes[1:]:
        assert "W = 90 days" in text and "snapshot as of 2026-10-31 23:59 UTC" in text


def test_every_content_slide_has_the_context_in_its_footer(deck):
    prs, _ = deck
    for i, slide in enumerate(prs.slides):
        if i == 0:
            continue
        footer = [s for s in slide.shapes if s.name == "Footer context"]
        assert len(footer) == 1
        text = footer[0].text_frame.text
        assert "Oct 2026 vs Sep 2026 · all records · snapshot as of 2026-10-31 23:59 UTC" in text
        assert text.endswith(f"{i + 1}/11")
        assert footer[0].top + footer[0].height <= prs.slide_height


def test_shapes_stay_on_the_slide(deck, template_deck):
    for prs in (deck[0], template_deck):
        for slide in prs.slides:
            for shape in slide.shapes:
                if shape.left is None:
                    continue
                assert 0 <= shape.left and shape.left + shape.width <= prs.slide_width, shape.name
                assert 0 <= shape.top and shape.top + shape.height <= prs.slide_height, shape.name


def test_changes_read_like_the_pages_and_charts_format_like_the_registry():
    from dashboard.export import change_text, excel_format

    assert change_text("leads", 110, 100) == ("+10", True)
    assert change_text("lost_deals", 5, 3) == ("+2", False)  # fewer is better
    assert change_text("win_rate", 0.25, 0.30) == ("-5.0 pts", False)
    assert change_text("marketing_cost", 2000, 1000)[1] is None  # neither good nor bad
    assert change_text("leads", 5, None) == ("–", None)
    assert excel_format("rate") == "0%"
    assert excel_format("currency", "EUR", 2_500_000).startswith('"€"#,##0.0,,"M"')
    assert excel_format("currency", "USD", 50_000).endswith(';"$"0')  # zero shows "$0", not "$0k"


# -- the template -------------------------------------------------------------------------------------------
def test_template_layouts_are_used_found_by_placeholder_types(template_deck):
    from pptx.util import Inches

    prs = template_deck
    assert [s.slide_layout.name for s in prs.slides] == ["Acme opener"] + ["Acme headline"] * 10
    assert "Acme brand band" in [s.name for s in prs.slide_master.shapes]
    # the title sits where the template's layout puts it
    assert all(s.shapes.title.top == Inches(0.45) for s in list(prs.slides)[1:])
    assert "Filters: segment=Enterprise" in "\n".join(texts(prs.slides[0]))
    funnel_title = prs.slides[2].shapes.title.text
    assert funnel_title.startswith("MQL → SQL") and "in Enterprise" in funnel_title


def test_title_and_content_layout_serves_when_there_is_no_title_only(tmp_path, funnel):
    from pptx import Presentation

    from dashboard import export

    prs = Presentation(str(TEMPLATE))
    title_only = next(l for l in prs.slide_layouts if l.name == "Acme headline")
    prs.slide_layouts.remove(title_only)
    path = tmp_path / "no-title-only.pptx"
    prs.save(str(path))
    layouts = export.Layouts.detect(Presentation(str(path)))
    assert layouts.title_only is None and layouts.title_content.name == "Acme headline + body"
    assert layouts.cover.name == "Acme opener"
    deck = Presentation(io.BytesIO(export.build_deck(funnel, template=path, generated_at=GENERATED)))
    assert {s.slide_layout.name for s in list(deck.slides)[1:]} == {"Acme headline + body"}
    # the empty content placeholder is gone; the chart took its place
    for slide in list(deck.slides)[1:]:
        assert [ph.placeholder_format.idx for ph in slide.placeholders] == [0]


def test_templates_that_cannot_serve_are_refused(tmp_path, funnel):
    from pptx import Presentation
    from pptx.util import Inches

    from dashboard import export

    four_three = Presentation()
    four_three.save(str(tmp_path / "old.pptx"))
    with pytest.raises(export.TemplateError, match="not 16:9"):
        export.build_deck(funnel, template=tmp_path / "old.pptx")
    (tmp_path / "notes.pptx").write_text("not a zip")
    with pytest.raises(export.TemplateError, match="not a PowerPoint"):
        export.build_deck(funnel, template=tmp_path / "notes.pptx")
    with pytest.raises(export.TemplateError, match="no such file"):
        export.build_deck(funnel, template=tmp_path / "missing.pptx")
    blank_only = Presentation()
    blank_only.slide_width, blank_only.slide_height = Inches(13.333), Inches(7.5)
    for layout in list(blank_only.slide_layouts):
        if layout.name != "Blank":
            blank_only.slide_layouts.remove(layout)
    blank_only.save(str(tmp_path / "blank.pptx"))
    with pytest.raises(export.TemplateError, match="no slide layout with a title"):
        export.build_deck(funnel, template=tmp_path / "blank.pptx")


def test_template_example_slides_are_dropped(tmp_path, funnel):
    from pptx import Presentation

    from dashboard import export

    prs = Presentation(str(TEMPLATE))
    prs.slides.add_slide(prs.slide_layouts[0]).shapes.add_textbox(0, 0, 100, 100).text_frame.text = "EXAMPLE"
    prs.save(str(tmp_path / "with-example.pptx"))
    deck = Presentation(io.BytesIO(export.build_deck(funnel, template=tmp_path / "with-example.pptx")))
    assert len(deck.slides) == 11
    assert not any("EXAMPLE" in t for s in deck.slides for t in texts(s))


# -- a tiny snapshot: empty states instead of errors ---------------------------------------------------------
def test_a_nearly_empty_snapshot_still_gives_a_whole_deck(tmp_path):
    from pptx import Presentation
    from snapshot_builder import lead, write_snapshot

    from dashboard import export
    from dashboard.api import Funnel

    write_snapshot(
        tmp_path,
        "2026-04-30T23:59:59Z",
        leads=[lead("L1", "2026-03-02T00:00:00Z"), lead("L2", "2026-04-02T00:00:00Z", score=20)],
    )
    content = export.build_deck(Funnel.open(tmp_path), generated_at=GENERATED)
    prs = Presentation(io.BytesIO(content))
    assert len(prs.slides) == 11
    everything = "\n".join(t for s in prs.slides for t in texts(s))
    assert "No campaign had cost or attributed bookings in Apr 2026." in everything
    assert "No bookings target for May 2026 or Apr 2026" in everything


# -- images -------------------------------------------------------------------------------------------------
def test_figure_to_image_png_and_svg():
    from dashboard import charts, export

    if not images_work():
        pytest.skip(f"no browser: {export.unavailable_reason()}")
    fig = charts.plan_chart({"needed": {"leads": 10, "mqls": 5}, "by_when": {}})
    png = export.figure_to_image(fig, "png", scale=2)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width == 2 * fig.layout.width if fig.layout.width else width >= 1000  # scale doubles the pixels
    svg = export.figure_to_image(fig, "svg")
    assert svg.lstrip().startswith(b"<svg") and b"</svg>" in svg[-200:]
    with pytest.raises(ValueError, match="image format"):
        export.figure_to_image(fig, "gif")


def test_download_helpers_describe_buttons():
    from dashboard import charts, export
    from dashboard.filters import Filters, Period

    fig = charts.plan_chart({"needed": {"leads": 10}, "by_when": {}})
    png, svg = export.figure_downloads(fig, "MQL → SQL trend")
    assert (png.file_name, png.mime, png.label) == ("mql-sql-trend.png", "image/png", "Download PNG")
    assert (svg.file_name, svg.mime) == ("mql-sql-trend.svg", "image/svg+xml")
    assert callable(png.data)
    if images_work():
        assert svg.data().lstrip().startswith(b"<svg")
    deck = export.deck_download(None, Period.of("2026-10-01", "2026-10-31"), Filters.of(segment="Mid-Market"))
    assert deck.file_name == "funnel-review-2026-10-01-2026-10-31-mid-market.pptx"
    assert deck.mime == export.PPTX_MIME and callable(deck.data)


def test_a_missing_browser_is_a_clear_exception_not_a_hang(monkeypatch):
    from dashboard import charts, export

    monkeypatch.setenv("BROWSER_PATH", "/nowhere/chromium")
    renderer = export._Renderer()  # a fresh one: this process's may already be running
    assert "BROWSER_PATH '/nowhere/chromium'" in renderer.problem()
    fig = charts.plan_chart({"needed": {"leads": 10}, "by_when": {}})
    with pytest.raises(export.ExportUnavailable, match="needs Chrome or Chromium"):
        renderer.render(fig, {"format": "png"})


def test_a_browser_that_will_not_start_is_unavailable_too(monkeypatch):
    from dashboard import charts, export

    monkeypatch.setenv("BROWSER_PATH", shutil.which("false") or "/bin/false")
    renderer = export._Renderer()
    fig = charts.plan_chart({"needed": {"leads": 10}, "by_when": {}})
    with pytest.raises(export.ExportUnavailable, match="did not start"):
        renderer.render(fig, {"format": "png"})
    # remembered: the second call answers at once
    assert "did not start" in renderer.problem()


# -- the command --------------------------------------------------------------------------------------------
def funnel_cli(*argv, env=None):
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_cli_writes_the_deck_without_a_browser(tmp_path):
    """`funnel export` where no Chrome exists: the deck still comes out, picture slides say why."""
    from pptx import Presentation

    out = tmp_path / "deck.pptx"
    done = funnel_cli(
        "export",
        "--data",
        str(SAMPLE),
        "--out",
        str(out),
        "--region",
        "EMEA",
        "--json",
        env={"BROWSER_PATH": "/nowhere/chromium"},
    )
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)
    assert summary["slides"] == 11 and summary["images"] is False
    assert summary["period"] == {"from": "2026-10-01", "to": "2026-10-31"}
    assert summary["previous"] == {"from": "2026-09-01", "to": "2026-09-30"}
    assert "pictures left out" in done.stderr and "BROWSER_PATH" in done.stderr
    prs = Presentation(str(out))
    assert sum(kinds(s)["picture"] for s in prs.slides) == 0
    unavailable = [s for s in prs.slides if any("Chart picture unavailable" in t for t in texts(s))]
    assert len(unavailable) == 2


def test_cli_period_and_refusals(tmp_path, capsys):
    from pptx import Presentation

    from dashboard.cli import main

    out = tmp_path / "sep.pptx"
    assert (
        main(
            [
                "export",
                "--data",
                str(SAMPLE),
                "--out",
                str(out),
                "--from",
                "2026-09-01",
                "--to",
                "2026-09-30",
                "--snapshot",
                "2026-09-30",
            ]
        )
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    prs = Presentation(str(out))
    assert prs.slides[0].shapes.title.text == "Funnel review · Sep 2026"
    assert "Snapshot as of 2026-09-30" in "\n".join(texts(prs.slides[0]))
    for argv, message in [
        (["--out", str(tmp_path / "deck.txt")], "is a .pptx file"),
        (["--out", str(tmp_path / "no" / "deck.pptx")], "does not exist"),
        (["--out", str(out), "--segment", "Nope"], "unknown segment 'Nope'"),
        (["--out", str(out), "--template", str(tmp_path / "missing.pptx")], "no such file"),
        (["--out", str(out), "--from", "2026-09-01"], "give both --from and --to"),
    ]:
        assert main(["export", "--data", str(SAMPLE), *argv]) == 2
        assert message in capsys.readouterr().err


# -- LibreOffice: the deck renders, one page per slide ---------------------------------------------------------
@pytest.mark.slow
def test_libreoffice_renders_one_page_per_slide(deck, tmp_path):
    import re

    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed")
    path = tmp_path / "deck.pptx"
    path.write_bytes(deck[1].content)
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = (tmp_path / "deck.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == len(deck[0].slides)
