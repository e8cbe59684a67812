"""`funnel kpis | campaigns | scoring | plan | changes | pace`: a thin layer over dashboard.api.Funnel.

`--json` prints exactly what the API returns; without it, a readable table with the registry's labels.
"""

from __future__ import annotations

import argparse
import json
import sys

from dashboard.api import CHANGE_BESIDE, PACE_METRICS, Funnel
from dashboard.engines import EngineError, add_engine_arguments
from dashboard.errors import UsageError
from dashboard.filters import FILTER_KEYS, ArgumentError
from dashboard.metrics import BY_KEY, format_value, metric_for, sla_units
from dashboard.periods import Period, fiscal_label, parse_period
from dashboard.policy import ATTRIBUTION_MODELS, PolicyError
from dashboard.snapshots import SnapshotError


def common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="a data root (newest snapshot) or one snapshot folder (default: the bundled sample)")
    p.add_argument("--snapshot", help="the snapshot to use (its folder name, e.g. 2026-09-30)")
    p.add_argument("--from", dest="start", metavar="DATE", help="first day of the period (default: last full month)")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day of the period, inclusive")
    p.add_argument(
        "--period",
        metavar="YYYY-MM|FYyyyy|FYyyyy-Qn",
        help="shorthand for --from/--to: a calendar month, a fiscal year or a fiscal quarter "
        "(funnel.toml's [reporting] fiscal_year_start_month)",
    )
    for key in FILTER_KEYS:
        p.add_argument(f"--{key}", help=f"only this {key}")
    p.add_argument("--json", action="store_true", help="print JSON (the format of metrics.md)")
    add_engine_arguments(p)


def add_kpis_arguments(p):
    common_arguments(p)


def add_campaigns_arguments(p):
    common_arguments(p)
    p.add_argument("--model", help=f"attribution model: {', '.join(ATTRIBUTION_MODELS)} (default: funnel.toml's)")


def add_scoring_arguments(p):
    common_arguments(p)


def add_plan_arguments(p):
    common_arguments(p)
    p.add_argument("--target", required=True, type=float, help="bookings wanted in the period")
    p.add_argument("--trailing-from", metavar="DATE", help="first day of the period whose rates are used")
    p.add_argument("--trailing-to", metavar="DATE", help="its last day (default: six mature months)")


def _open(args):
    return Funnel.open(args.data, args.snapshot, engine=args.engine, spark_remote=args.spark_remote)


def _filters(args) -> dict:
    return {k: getattr(args, k) for k in FILTER_KEYS}


def apply_period_argument(args, funnel) -> None:
    """`--period` as the --from/--to it stands for, read on the snapshot's fiscal calendar."""
    if getattr(args, "period", None) is None:
        return
    if args.start is not None or args.end is not None:
        raise ArgumentError("give --period or --from/--to, not both")
    period = parse_period(args.period, funnel.policy.fiscal_year_start_month)
    args.start, args.end = period.start.isoformat(), period.end.isoformat()


def _run(args, produce, render) -> int:
    try:
        funnel = _open(args)
        apply_period_argument(args, funnel)
        result = produce(funnel)
    except (ArgumentError, SnapshotError, PolicyError, EngineError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        json.dump(result, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        render(result, funnel)
    return 0


def _print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    # lazy: rich (~30 ms) only for the table, not for --json
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def _context(result, funnel) -> str:
    active = {k: v for k, v in result.get("filters", {}).items() if v}
    scope = ", ".join(f"{k}={v}" for k, v in active.items()) or "all records"
    period = result["period"]
    return f"{_period_name(period, funnel)} · {scope} · snapshot as of {funnel.store.snapshot.as_of_iso}"


def _period_name(period: dict, funnel) -> str:
    """ "FY2027 Q1 (Feb-Apr 2026): 2026-02-01 .. 2026-04-30" when the days are a fiscal quarter or year."""
    days = Period.of(period["from"], period["to"])
    name = fiscal_label(days, funnel.policy.fiscal_year_start_month)
    text = f"{period['from']} .. {period['to']}"
    return text if name == days.label() else f"{name}: {text}"


def run_kpis(args) -> int:
    def render(result, funnel):
        currency = funnel.policy.currency
        rows = [
            [metric_for(k, funnel.policy).label, format_value(v, BY_KEY[k].unit, currency)]
            for k, v in result["kpis"].items()
        ]
        rows.append(["Cohort mature", "yes" if result["cohort_mature"] else "no (rates still maturing)"])
        if funnel.policy.clock == "business":
            hours, days = sla_units(funnel.policy)
            rows.append(
                [
                    "SLA clock",
                    f"{funnel.policy.first_response_hours:g} {hours} / "
                    f"{funnel.policy.decision_days:g} {days}: {funnel.policy.calendars.describe()}",
                ]
            )
        _print_table(f"KPIs · {_context(result, funnel)}", ["metric", "value"], rows)

    return _run(args, lambda f: f.kpis(args.start, args.end, **_filters(args)), render)


def run_campaigns(args) -> int:
    keys = ["attributed_opportunities", "attributed_pipeline", "attributed_bookings", "leads_acquired", "cost", "roi"]
    units = {"leads_acquired": "count", "attributed_opportunities": "credit", "roi": "ratio"}

    def render(result, funnel):
        currency = funnel.policy.currency
        rows = [
            [f"{c['name']} ({c['campaign_id']})"]
            + [format_value(c[k], units.get(k, "currency"), currency) for k in keys]
            for c in result["campaigns"]
        ]
        rows.append(
            [
                "Unattributed",
                "",
                format_value(result["unattributed_pipeline"], "currency", currency),
                format_value(result["unattributed_bookings"], "currency", currency),
                "",
                "",
                "",
            ]
        )
        labels = [BY_KEY[k].label for k in keys]
        _print_table(
            f"Campaigns · {result['model']} · {_period_name(result['period'], funnel)}", ["campaign", *labels], rows
        )

    return _run(args, lambda f: f.campaigns(args.start, args.end, model=args.model, **_filters(args)), render)


def run_scoring(args) -> int:
    def render(result, funnel):
        rows = [
            [
                b["band"],
                format_value(b["leads"], "count"),
                format_value(b["converted"], "count"),
                format_value(b["rate"], "rate"),
            ]
            for b in result["bands"]
        ]
        auc = result["score_auc"]
        rows.append(["AUC", "", "", BY_KEY["score_auc"].format(auc)])
        _print_table("Lead score bands (converted = SQL within W days)", ["band", "leads", "converted", "rate"], rows)

    return _run(args, lambda f: f.scoring(args.start, args.end, **_filters(args)), render)


def run_plan(args) -> int:
    def render(result, funnel):
        currency = funnel.policy.currency
        rows = [
            [
                k,
                format_value(v, "currency" if k == "marketing_budget" else "count", currency),
                result["by_when"].get(k) or "",
            ]
            for k, v in result["needed"].items()
        ]
        t = result["trailing"]
        note = "" if result["trailing_cohort_mature"] else " (trailing cohorts not yet mature!)"
        _print_table(
            f"Plan for {format_value(result['target'], 'currency', currency)} bookings, "
            f"{_period_name(result['period'], funnel)}; rates of {_period_name(t, funnel)}{note}",
            ["needed", "count", "by when"],
            rows,
        )

    return _run(
        args,
        lambda f: f.plan(args.target, args.start, args.end, args.trailing_from, args.trailing_to, **_filters(args)),
        render,
    )


def add_changes_arguments(p):
    p.add_argument("--data", default="data/sample", help="a data root holding both snapshots")
    p.add_argument("--from-snapshot", metavar="DATE", help="the older snapshot S0 (default: the one before S1)")
    p.add_argument("--to-snapshot", metavar="DATE", help="the newer snapshot S1 (default: the newest)")
    for key in FILTER_KEYS:
        p.add_argument(f"--{key}", help=f"only this {key} (each deal's value in S1, else in S0)")
    p.add_argument("--json", action="store_true", help="print JSON (the format of metrics.md)")
    add_engine_arguments(p)


def add_pace_arguments(p):
    p.add_argument("--data", default="data/sample", help="a data root (newest snapshot) or one snapshot folder")
    p.add_argument("--snapshot", help="the snapshot to use (its folder name, e.g. 2026-09-30)")
    for key in FILTER_KEYS:
        p.add_argument(f"--{key}", help=f"only this {key}")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_engine_arguments(p)


def run_changes(args) -> int:
    def render(result, funnel):
        currency = result["currency"]
        rows = [
            [
                BY_KEY[f"changes_{k}"].label,
                format_value(v["count"], "count"),
                format_value(v["amount"], "currency", currency),
            ]
            for k, v in result["buckets"].items()
        ]
        rows.append(["Won bookings (at S1 amounts)", "", format_value(result["won_bookings"], "currency", currency)])
        for key in CHANGE_BESIDE:
            rows.append(
                [
                    BY_KEY[f"changes_{key}"].label + " (beside)",
                    format_value(result[key]["count"], "count"),
                    format_value(result[key]["amount"], "currency", currency),
                ]
            )
        active = ", ".join(f"{k}={v}" for k, v in result["filters"].items() if v) or "all records"
        _print_table(
            f"Open pipeline {result['from_as_of']} -> {result['to_as_of']} · {active}",
            ["bucket", "opportunities", "amount"],
            rows,
        )

    args.snapshot = args.to_snapshot  # S1 is the snapshot opened; S0 is opened beside it
    return _run(args, lambda f: f.changes(args.from_snapshot, None, **_filters(args)), render)


def run_pace(args) -> int:
    def render(result, funnel):
        currency = result["currency"]
        for name in ("quarter", "month"):
            c = result[name]
            rows = []
            for m in PACE_METRICS:
                unit = BY_KEY[f"{m}_to_date"].unit
                rows.append(
                    [
                        BY_KEY[m].label,
                        format_value(c[f"{m}_to_date"], unit, currency),
                        format_value(c[f"{m}_expected_to_date"], unit, currency),
                        format_value(c[f"{m}_pace"], "rate"),
                        format_value(c[f"{m}_run_rate"], unit, currency),
                        format_value(c[f"{m}_target"], unit, currency),
                    ]
                )
            rows.append(
                [BY_KEY["pipeline_coverage"].label, format_value(c["pipeline_coverage"], "multiple"), "", "", "", ""]
            )
            partial = (
                ""
                if c["bookings_target_months"] >= c["months"]
                else f" · bookings targets for {c['bookings_target_months']} of {c['months']} months"
            )
            _print_table(
                f"{c['label']} · day {c['elapsed_days']:.1f} of {c['days']}{partial} · as of {result['as_of']}",
                ["metric", "to date", "expected to date", "pace", "run rate", "target"],
                rows,
            )

    return _run(args, lambda f: f.pace(**_filters(args)), render)
