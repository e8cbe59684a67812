"""`funnel`: the one command-line entry point.

Each subcommand lives in the module that owns its work; this file only wires them up, importing a
module when its command runs (so `funnel kpis` never imports Streamlit).
Every module named here exposes `add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from dashboard.errors import FunnelError, UsageError  # noqa: F401 (UsageError: the name callers knew)
from dashboard.resources import sample_data

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("dashboard.serve", "start the dashboard (binds to 127.0.0.1 unless --host says otherwise)"),
    "sample": ("dashboard.sample", "generate a deterministic sample funnel as Parquet snapshots"),
    "import": ("dashboard.importer", "import a CRM export (CSV/Parquet + TOML mapping) as a new snapshot"),
    "validate": ("dashboard.validate", "check an existing snapshot against the data contract"),
    "kpis": ("dashboard.commands", "the joint KPIs for a period"),
    "campaigns": ("dashboard.commands", "campaign cost, attribution and ROI for a period"),
    "scoring": ("dashboard.commands", "lead-score bands, conversion and AUC"),
    "plan": ("dashboard.commands", "the reverse funnel: what a bookings target needs"),
    "changes": ("dashboard.commands", "the pipeline waterfall: what changed between two snapshots"),
    "pace": ("dashboard.commands", "where the current quarter and month will land against target"),
    "export": ("dashboard.export", "write the meeting deck (PPTX)"),
    "notes": (
        "dashboard.meetings",
        "move the meeting record (chart notes, decisions, actions) as JSON: export | import",
    ),
    "init": ("dashboard.init_root", "start a new data root: a commented funnel.toml and the next steps"),
    "bench": ("dashboard.bench", "measure query latency at scale against a pandas peer"),
}


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported to learn its arguments."""
    parser = argparse.ArgumentParser(
        prog="funnel", description="Shared Funnel: one set of numbers for sales and marketing."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module_name)
        if name == command:
            module = importlib.import_module(module_name)
            add = getattr(module, f"add_{name}_arguments", None) or module.add_arguments
            add(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    module = importlib.import_module(args._module)
    run = getattr(module, f"run_{args.command}", None) or module.run
    if getattr(args, "data", "") is None:  # a command with --data, run without it: the bundled sample
        args.data = str(sample_data())
        print(f"funnel {args.command}: no --data given: using the bundled sample data ({args.data})", file=sys.stderr)
    try:
        return int(run(args) or 0)
    except FunnelError as exc:
        print(f"funnel {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `funnel kpis --json | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
