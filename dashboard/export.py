"""`funnel export`: write the meeting deck (PPTX).

The deck lives in dashboard/deck/ (its data, its PowerPoint plumbing, its slides) and chart images in
dashboard/images.py; this module is the command, and the one import the pages and tests use for both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dashboard.api import Funnel
from dashboard.commands import apply_period_argument, common_arguments
from dashboard.deck.data import SCORECARD, DeckData, collect, collect_landing, meeting_record_of
from dashboard.deck.layout import PPTX_MIME, Layouts, TemplateError, change_text
from dashboard.deck.slides import (
    SLIDES,
    DeckResult,
    build_deck,
    deck_download,
    deck_file_name,
    deck_slides,
    render_deck,
)
from dashboard.engines import EngineError
from dashboard.errors import ArgumentError, UsageError
from dashboard.filters import FILTER_KEYS
from dashboard.images import (
    _RENDERER,
    IMAGE_FORMATS,
    Download,
    ExportUnavailable,
    _Renderer,
    browser_path,
    close_renderer,
    figure_downloads,
    figure_to_image,
    slug,
    unavailable_reason,
)
from dashboard.meetings import MeetingError
from dashboard.metrics import excel_format
from dashboard.periods import fiscal_label
from dashboard.policy import PolicyError
from dashboard.snapshots import SnapshotError

# what callers (the pages, the tests, a notebook) import from here: the deck's and the images' public names
__all__ = [
    "IMAGE_FORMATS",
    "PPTX_MIME",
    "SCORECARD",
    "SLIDES",
    "_RENDERER",
    "DeckData",
    "DeckResult",
    "Download",
    "ExportUnavailable",
    "Layouts",
    "TemplateError",
    "_Renderer",
    "add_arguments",
    "browser_path",
    "build_deck",
    "change_text",
    "close_renderer",
    "collect",
    "collect_landing",
    "deck_download",
    "deck_file_name",
    "deck_slides",
    "excel_format",
    "figure_downloads",
    "figure_to_image",
    "meeting_record_of",
    "render_deck",
    "run",
    "slug",
    "unavailable_reason",
]


# -- `funnel export` ------------------------------------------------------------------------------------
def add_arguments(parser) -> None:
    common_arguments(parser)  # --data --snapshot --from --to, the filters, --json (a summary of what was written)
    parser.add_argument("--out", required=True, metavar="FILE.pptx", help="where to write the deck")
    parser.add_argument("--template", metavar="FILE.pptx", help="a 16:9 PowerPoint file whose slide layouts to use")


def run(args) -> int:
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
