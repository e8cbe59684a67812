"""What `funnel bench` reports: the header (when, the command, the machine), the issue's targets, the table,
bench.md and bench.json."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dashboard.page_queries import PAGES

DEFAULT_OUT = "bench-out"

# The targets (docs/performance.md)
PAGE_P50_MS_1M = 300.0
KPIS_COLD_S_1M = 2.0
PAGE_P50_MS_10M = 3000.0
PEAK_MB_10M = 2048.0
PREPARE_S_10M = 60.0
PEER_RATIO_10M = 3.0
PEER_RATIO_1M = 1.0
SCALING_10X = 12.0


def results_header(args) -> dict:
    """What every bench report opens with: when, the command that made it, and the machine."""
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "funnel bench " + " ".join(argv_of(args)),
        "machine": machine_info(),
    }


def argv_of(args) -> list[str]:
    argv = ["--leads", *map(str, args.leads)]
    if args.out != DEFAULT_OUT:
        argv += ["--out", args.out]
    for flag in ("quick", "json", "no_peer", "no_serve", "drop_data"):
        if getattr(args, flag):
            argv.append("--" + flag.replace("_", "-"))
    for opt in ("repeat", "kpis_runs"):
        if getattr(args, opt):
            argv += ["--" + opt.replace("_", "-"), str(getattr(args, opt))]
    if args.snapshots != 1:
        argv += ["--snapshots", str(args.snapshots)]
    if getattr(args, "browser", False):
        argv.append("--browser")
        if args.sessions:
            argv += ["--sessions", str(args.sessions)]
        if args.pages:
            argv += ["--pages", *args.pages]
    return argv


# -- the machine -----------------------------------------------------------------------------------


def machine_info() -> dict:
    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": cpu or platform.processor() or None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "pandas": version("pandas"),
        "polars": version("polars"),
        "pyarrow": version("pyarrow"),
        "streamlit": version("streamlit"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# -- targets and the report ----------------------------------------------------------------------------


def evaluate_targets(sizes: list[dict]) -> list[dict]:
    """The issue's targets, for the sizes measured: [{"target", "leads", "measured", "met"}]."""
    by = {s["leads"]: s for s in sizes}
    rows = []

    def add(target, leads, measured, met):
        rows.append({"target": target, "leads": leads, "measured": measured, "met": met})

    if 1_000_000 in by:
        s = by[1_000_000]
        for page in PAGES:
            p50 = s["pages"][page]["p50_ms"]
            add(f"{page} page p50 <= {PAGE_P50_MS_1M:.0f} ms", 1_000_000, f"{p50:,.0f} ms", p50 <= PAGE_P50_MS_1M)
        cold = s["kpis_cold"]["median_s"]
        add(f"`funnel kpis` cold <= {KPIS_COLD_S_1M:.0f} s", 1_000_000, f"{cold:.2f} s", cold <= KPIS_COLD_S_1M)
        if s.get("peer", {}).get("ratio") is not None:
            r = s["peer"]["ratio"]
            add("not slower than pandas (pandas / ours >= 1)", 1_000_000, f"{r:.2f}x", r >= PEER_RATIO_1M)
    if 10_000_000 in by:
        s = by[10_000_000]
        for page in PAGES:
            p50 = s["pages"][page]["p50_ms"]
            add(
                f"{page} page p50 <= {PAGE_P50_MS_10M / 1000:.0f} s",
                10_000_000,
                f"{p50 / 1000:,.2f} s",
                p50 <= PAGE_P50_MS_10M,
            )
        peak = s["peak_rss_mb"]
        add(f"peak memory <= {PEAK_MB_10M / 1024:.0f} GB", 10_000_000, f"{peak / 1024:.2f} GB", peak <= PEAK_MB_10M)
        prep = s["prepare_s"]
        add(f"per-snapshot preparation <= {PREPARE_S_10M:.0f} s", 10_000_000, f"{prep:.1f} s", prep <= PREPARE_S_10M)
        if s.get("peer", {}).get("ratio") is not None:
            r = s["peer"]["ratio"]
            add(f">= {PEER_RATIO_10M:.0f}x faster than pandas", 10_000_000, f"{r:.2f}x", r >= PEER_RATIO_10M)
    for small in sorted(by):
        big = small * 10
        if big not in by:
            continue
        for page in PAGES:
            ratio = by[big]["pages"][page]["p50_ms"] / by[small]["pages"][page]["p50_ms"]
            add(
                f"{page} page: 10x leads costs <= {SCALING_10X:.0f}x time",
                big,
                f"{ratio:.1f}x (vs {small:,})",
                ratio <= SCALING_10X,
            )
        ratio = by[big]["prepare_s"] / by[small]["prepare_s"]
        add(
            f"preparation: 10x leads costs <= {SCALING_10X:.0f}x time",
            big,
            f"{ratio:.1f}x (vs {small:,})",
            ratio <= SCALING_10X,
        )
    return rows


def fmt_ms(ms) -> str:
    if ms is None:
        return "–"
    return f"{ms / 1000:,.2f} s" if ms >= 10_000 else f"{ms:,.0f} ms"


def fmt_s(s) -> str:
    return "–" if s is None else f"{s:,.2f} s"


def table_rows(results: dict) -> tuple[list[str], list[list[str]]]:
    """The headline table: one row per figure, one column per size."""
    sizes = results["sizes"]
    header = ["", *[f"{s['leads']:,} leads" for s in sizes]]
    rows = []

    def row(label, fn):
        cells = []
        for s in sizes:
            try:
                cells.append(fn(s))
            except (KeyError, TypeError):
                cells.append("–")
        rows.append([label, *cells])

    row("rows: opportunities / touches", lambda s: f"{s['rows']['opportunities']:,} / {s['rows']['touches']:,}")
    row("Parquet on disk", lambda s: f"{s['data_mb']:,.0f} MB")
    row("one-time preparation (first Funnel.open)", lambda s: fmt_s(s["prepare_s"]))
    row("Funnel.open with prepared facts", lambda s: fmt_s(s["open_s"]))
    for page in PAGES:
        row(
            f"{page} page p50 / p95",
            lambda s, page=page: f"{fmt_ms(s['pages'][page]['p50_ms'])} / {fmt_ms(s['pages'][page]['p95_ms'])}",
        )
    row("`funnel kpis --json` cold (median)", lambda s: fmt_s(s["kpis_cold"]["median_s"]))
    row("`funnel serve`: health / first chart", serve_cell)
    row("peak memory (RSS)", lambda s: f"{s['peak_rss_mb']:,.0f} MB")
    row("headline figures p50: ours (interleaved)", lambda s: fmt_ms(s["peer"]["ours_headline"]["p50_ms"]))
    row("headline figures p50: pandas (interleaved)", lambda s: fmt_ms(s["peer"]["headline"]["p50_ms"]))
    row("pandas / ours (p50)", lambda s: f"{s['peer']['ratio']:.2f}x")
    row(
        "pandas load + prepare / peak memory",
        lambda s: f"{fmt_s(s['peer']['load_s'])} / {s['peer']['pandas_peak_rss_mb']:,.0f} MB",
    )
    row(
        "pandas peer agrees (1e-9 rel.)",
        lambda s: (
            "yes" if s["peer"]["check"]["status"] == "agree" else f"NO: {len(s['peer']['check']['mismatches'])} figures"
        ),
    )
    return header, rows


def serve_cell(s) -> str:
    serve = s["serve"]
    if serve.get("status") == "ok":
        return f"{fmt_s(serve['health_s'])} / {fmt_s(serve['first_render_s'])}"
    if "health_s" in serve:
        return f"{fmt_s(serve['health_s'])} / {serve['status']}"
    return serve.get("status", "–")


def render_markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# `funnel bench` results",
        "",
        f"Measured {results['generated_at']} with `{results['command']}`.",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
        f"DuckDB {m['duckdb']}, pandas {m['pandas']}, Polars {m['polars']}, PyArrow {m['pyarrow']}, "
        f"Streamlit {m['streamlit']}. Load average at start: "
        + (", ".join(f"{x:.2f}" for x in m["load_average"]) if m.get("load_average") else "–")
        + ".",
        "",
    ]
    settings = results["settings"]
    filters = results["sizes"][0].get("filters", []) if results["sizes"] else []
    lines += [
        f"Each page's full query set was timed, run as the page runs it (two queries at a time), under each "
        f"of {len(filters)} filter states "
        f"({'; '.join(f['name'] for f in filters)}), "
        + ", ".join(f"{s.get('repeat', settings.get('repeat'))}x at {s['leads']:,} leads" for s in results["sizes"])
        + ", after a warm-up round, in one fresh process per size. p50/p95 are over all those runs.",
        "",
    ]
    header, rows = table_rows(results)
    lines += md_table(header, rows)
    if results.get("targets"):
        lines += ["", "## Targets", ""]
        lines += md_table(
            ["target", "leads", "measured", "met"],
            [
                [t["target"], f"{t['leads']:,}", t["measured"], "yes" if t["met"] else "**no**"]
                for t in results["targets"]
            ],
        )
    labels = sorted({label for s in results["sizes"] for label in s.get("queries", {})})
    if labels:
        lines += ["", "## Per query (p50 / p95)", ""]
        lines += md_table(
            ["query", *[f"{s['leads']:,}" for s in results["sizes"]]],
            [
                [
                    label,
                    *[
                        f"{fmt_ms(s['queries'][label]['p50_ms'])} / {fmt_ms(s['queries'][label]['p95_ms'])}"
                        if label in s.get("queries", {})
                        else "–"
                        for s in results["sizes"]
                    ],
                ]
                for label in labels
            ],
        )
    for s in results["sizes"]:
        if "pages_by_filter" in s:
            lines += ["", f"## Page p50 by filter, {s['leads']:,} leads", ""]
            lines += md_table(
                ["filter", *PAGES],
                [[name, *[fmt_ms(per[p]) for p in PAGES]] for name, per in s["pages_by_filter"].items()],
            )
        if s.get("peer", {}).get("by_filter"):
            lines += ["", f"## Headline figures vs pandas by filter, {s['leads']:,} leads", ""]
            lines += md_table(
                ["filter", "ours p50", "pandas p50", "pandas / ours"],
                [
                    [
                        r["filter"],
                        fmt_ms(r["ours_ms"]),
                        fmt_ms(r["pandas_ms"]),
                        "–" if r["ratio"] is None else f"{r['ratio']:.2f}x",
                    ]
                    for r in s["peer"]["by_filter"]
                ],
            )
            if s["peer"]["check"]["mismatches"]:
                lines += ["", "Mismatches (pandas peer vs Funnel):", ""]
                lines += md_table(
                    ["filter", "figure", "funnel", "pandas"],
                    [
                        [x["filter"], x["figure"], str(x["funnel"]), str(x["pandas"])]
                        for x in s["peer"]["check"]["mismatches"]
                    ],
                )
        if s.get("serve", {}).get("note"):
            lines += ["", f"`funnel serve` at {s['leads']:,} leads: {s['serve']['note']}."]
    return "\n".join(lines) + "\n"


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def write(results: dict, out: Path) -> None:
    (out / "bench.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    if results["sizes"]:
        (out / "bench.md").write_text(render_markdown(results), encoding="utf-8")


def print_rich(results: dict, out: Path) -> None:
    console = Console()
    header, rows = table_rows(results)
    table = Table(title="funnel bench", title_justify="left")
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if results.get("targets"):
        targets = Table(title="targets", title_justify="left")
        for col in ("target", "leads", "measured", "met"):
            targets.add_column(col)
        for t in results["targets"]:
            targets.add_row(t["target"], f"{t['leads']:,}", t["measured"], "yes" if t["met"] else "[red]no[/red]")
        console.print(targets)
    for s in results["sizes"]:
        for x in s.get("peer", {}).get("check", {}).get("mismatches", []):
            console.print(
                f"[red]mismatch[/red] {s['leads']:,} leads, {x['filter']}: {x['figure']} "
                f"funnel={x['funnel']} pandas={x['pandas']}"
            )
    console.print(f"written: {out / 'bench.md'}, {out / 'bench.json'}")
