"""The report of `funnel bench --browser`: the issue's targets (issue 17), each met or not, and browser.md."""

from __future__ import annotations

# The targets (issue 17; docs/performance.md): 1M leads, one session
TARGET_CHANGE_P50_S = 0.5
TARGET_CHANGE_MAX_S = 1.0
TARGET_REPEAT_S = 0.3
TARGET_FIRST_LOAD_S = 2.5
TARGET_CPU_PER_RERUN_S = 0.15
TARGET_SESSION_CPU_S = 0.3
TARGET_SESSIONS_RSS_MB = 1536.0
TARGET_CHANGE_P50_S_10M = 1.5


def evaluate_targets(leads: int, result: dict) -> list[dict]:
    """The issue's targets that apply to this size, each met or not (docs/performance.md)."""
    out = []

    def add(target: str, measured, met: bool | None):
        out.append({"leads": leads, "target": target, "measured": measured, "met": met})

    pages = [p for p in result["pages"] if "change_s" in p]
    if leads == 1_000_000:
        for p in pages:
            c = p["change_s"]
            add(
                f"{p['page']}: change p50 <= {TARGET_CHANGE_P50_S * 1000:.0f} ms, max <= {TARGET_CHANGE_MAX_S:g} s",
                f"{_ms(c['p50'])} / {_ms(c['max'])}",
                _le(c["p50"], TARGET_CHANGE_P50_S) and _le(c["max"], TARGET_CHANGE_MAX_S) and not p["failed"],
            )
            add(
                f"{p['page']}: repeated filter state <= {TARGET_REPEAT_S * 1000:.0f} ms",
                _ms(p["repeat_s"]),
                _le(p["repeat_s"], TARGET_REPEAT_S),
            )
            add(
                f"{p['page']}: first load <= {TARGET_FIRST_LOAD_S:g} s",
                _ms(p["first_load"].get("seconds")),
                _le(p["first_load"].get("seconds"), TARGET_FIRST_LOAD_S),
            )
            add(
                f"{p['page']}: server CPU per rerun (warm caches: the repeat) <= {TARGET_CPU_PER_RERUN_S * 1000:.0f} ms",
                _ms(p["repeat_server_cpu_s"]),
                _le(p["repeat_server_cpu_s"], TARGET_CPU_PER_RERUN_S),
            )
        s = result.get("sessions")
        if s:
            add(
                f"{s['sessions']} sessions: all drawn, server CPU <= {TARGET_SESSION_CPU_S * 1000:.0f} ms each, "
                f"server memory <= {TARGET_SESSIONS_RSS_MB / 1024:g} GB",
                f"{s['drawn']}/{s['sessions']} drawn (max {s['max_s']} s), {_ms(s['server_cpu_per_session_s'])} each, "
                f"{s['server_rss_peak_mb']:.0f} MB",
                not s["failed"]
                and s["server_cpu_per_session_s"] <= TARGET_SESSION_CPU_S
                and s["server_rss_peak_mb"] <= TARGET_SESSIONS_RSS_MB,
            )
    if leads == 10_000_000:
        for p in pages:
            add(
                f"{p['page']}: change p50 <= {TARGET_CHANGE_P50_S_10M:g} s",
                _ms(p["change_s"]["p50"]),
                _le(p["change_s"]["p50"], TARGET_CHANGE_P50_S_10M) and not p["failed"],
            )
    return out


def _le(value, bound) -> bool:
    return value is not None and value <= bound


def _ms(seconds) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


# -- the report ---------------------------------------------------------------------------------------


def page_rows(size: dict) -> list[list[str]]:
    rows = []
    for p in size["browser"]["pages"]:
        first = p["first_load"]
        if "change_s" not in p:
            rows.append([p["page"], first.get("error", "–"), "", "", "", ""])
            continue
        c, cpu = p["change_s"], p["server_cpu_per_change_s"]
        rows.append(
            [
                p["page"],
                f"{_s(first.get('seconds'))} ({_s(first.get('server_cpu_s'))} / {_s(first.get('browser_cpu_s'))})",
                f"{_s(c['p50'])} / {_s(c['p95'])} / {_s(c['max'])}",
                f"{_s(p['repeat_s'])} ({_s(p['repeat_server_cpu_s'])} / {_s(p.get('repeat_browser_cpu_s'))})",
                f"{_s(cpu['p50'])} / {_s(cpu['max'])}",
                str(p["failed"]),
            ]
        )
    return rows


def _s(x) -> str:
    return "–" if x is None else f"{x:.2f} s"


def render_markdown(results: dict) -> str:
    lines = [
        f"# funnel bench --browser ({results['generated_at']})",
        "",
        f"`{results['command']}`",
        "",
        f"Machine: {results['machine'].get('nproc')} CPUs ({results['machine'].get('cpu')}), Python "
        f"{results['machine'].get('python')}, Streamlit {results['machine'].get('streamlit')}; the load average "
        "before/after each size is below (other work on the machine inflates the times).",
        "",
    ]
    for size in results["sizes"]:
        b = size["browser"]
        lines += [
            f"## {size['leads']:,} leads",
            "",
            f"Server health after {b.get('health_s')} s; warm-up Overview drawn after "
            f"{_s(b.get('warm_up', {}).get('seconds'))}; load average {size.get('load_average_1m')}.",
            "",
            "| page | first load (server / browser CPU) | change p50 / p95 / max | repeat (server / browser CPU) "
            "| server CPU per change p50 / max | failed |",
            "|---|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in page_rows(size)]
        s = b.get("sessions")
        if s:
            lines += [
                "",
                f"{s['sessions']} sessions opening the Overview at once: {s['drawn']} drawn, {s['failed']} "
                f"failed; p50 {_s(s['p50_s'])}, max {_s(s['max_s'])}; server CPU {s['server_cpu_s']:.2f} s "
                f"({s['server_cpu_per_session_s'] * 1000:.0f} ms per session); server memory "
                f"{s['server_rss_before_mb']:.0f} MB before, {s['server_rss_peak_mb']:.0f} MB at most.",
            ]
        lines.append("")
    if results.get("targets"):
        lines += ["## Targets (issue 17)", "", "| leads | target | measured | met |", "|---|---|---|---|"]
        lines += [
            f"| {t['leads']:,} | {t['target']} | {t['measured']} | {'yes' if t['met'] else 'NO'} |"
            for t in results["targets"]
        ]
    return "\n".join(lines) + "\n"
