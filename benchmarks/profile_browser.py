"""Where a filter change spends the browser's time: a page on a running `funnel serve`, its Segment filter
changed a few times, each change timed as `funnel bench --browser` times it, with Chromium's own counters
(script, layout, style recalculation; CDP `Performance.getMetrics`) and, with --cpu-profile, the JavaScript
functions that took the most self time (CDP `Profiler`), and with --mutations the DOM mutations after the
request, grouped by the element that moved (what is redrawn, and when).

    funnel serve --data /work/data-i17/1000000 --port 8611 &
    python benchmarks/profile_browser.py http://127.0.0.1:8611/ --page campaigns --cpu-profile

This is a diagnostic script, not a measurement to quote: quote `funnel bench --browser`.
"""

from __future__ import annotations

import argparse
import collections
import time

from playwright.sync_api import sync_playwright

from dashboard.benching.browser import CHROMIUM, PROBE_SCRIPT, probe, selectbox_options, wait_drawn

# Every mutation after the request, with the nearest Streamlit element around it and the time.
MUTATION_LOG = """
(() => {
  window.__funnelMutations = [];
  new MutationObserver(records => {
    const now = Date.now();
    for (const r of records) {
      let node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      let owner = node && node.closest ? node.closest('[data-testid^="st"]') : null;
      const what = owner ? owner.getAttribute('data-testid')
        : '(' + (node ? node.nodeName.toLowerCase() + (node.id ? '#' + node.id : '')
            + (node.nodeName === 'DIV' ? '.' + String(node.className).slice(0, 30) + ' in '
               + (node.parentElement ? node.parentElement.nodeName.toLowerCase() + '.' + String(node.parentElement.className).slice(0, 30) : '') : '') : '?')
          + (node && node.closest && node.closest('[aria-live]') ? ' aria-live' : '')
          + (r.attributeName ? ' @' + r.attributeName : '')
          + (r.addedNodes.length && r.addedNodes[0].textContent ? ' +"' + r.addedNodes[0].textContent.slice(0, 40) + '"' : '')
          + ')';
      window.__funnelMutations.push([now, what, r.type]);
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""

METRICS = ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration", "LayoutCount", "RecalcStyleCount")


def metrics(cdp) -> dict:
    got = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {k: got.get(k, 0.0) for k in METRICS}


def by_script(profile: dict) -> list[tuple[float, str]]:
    """Self time per script file (or native: "(program)", "(garbage collector)"), largest first, in ms."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    spent: collections.Counter = collections.Counter()
    for sample, delta in zip(profile.get("samples", []), profile.get("timeDeltas", [])):
        frame = nodes[sample]["callFrame"]
        name = frame["url"].rsplit("/", 1)[-1].split(".")[0] or frame["functionName"] or "(native)"
        spent[name] += delta / 1000
    return [(ms, name) for name, ms in spent.most_common() if name != "(idle)"][:12]


def top_functions(profile: dict, n: int = 25) -> list[tuple[float, str]]:
    """Self time per (function, script) from a CDP CPU profile, largest first, in milliseconds."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    self_ms: collections.Counter = collections.Counter()
    for sample, delta in zip(profile.get("samples", []), deltas):
        frame = nodes[sample]["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1][:40]
        self_ms[f"{frame['functionName'] or '(anonymous)'} {url}:{frame['lineNumber']}"] += delta / 1000
    return [(ms, name) for name, ms in self_ms.most_common(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--page", default="", help="url path of the page (campaigns, sla, ...; default the Overview)")
    ap.add_argument("--changes", type=int, default=4)
    ap.add_argument("--cpu-profile", action="store_true")
    ap.add_argument("--mutations", action="store_true")
    args = ap.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu", "--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 1800})
        context.add_init_script(PROBE_SCRIPT)
        if args.mutations:
            context.add_init_script(MUTATION_LOG)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        since = time.time() * 1000
        page.goto(args.url.rstrip("/") + "/" + args.page, wait_until="commit")
        print("first load", wait_drawn(page, since, from_request=False), metrics(cdp))
        segments = selectbox_options(page, "Segment")
        values = (segments * 4)[: args.changes - 1] + segments[:1]
        for value in values:
            before = metrics(cdp)
            if args.cpu_profile:
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 500})
                cdp.send("Profiler.start")
            if args.mutations:
                page.evaluate("() => { window.__funnelMutations = []; }")
            since = time.time() * 1000
            page.get_by_role("combobox", name="Segment", exact=True).click()
            page.get_by_role("option", name=value, exact=True).first.click()
            timed = wait_drawn(page, since)
            after = metrics(cdp)
            spent = {k: round(after[k] - before[k], 3) for k in METRICS}
            print(f"\nsegment={value}: {timed}\n  browser: {spent}")
            if args.cpu_profile:
                profile = cdp.send("Profiler.stop")["profile"]
                print("  by script: " + ", ".join(f"{name} {ms:.0f}" for ms, name in by_script(profile)))
                for ms, name in top_functions(profile):
                    print(f"  {ms:8.1f} ms  {name}")
            if args.mutations:
                log = page.evaluate("() => window.__funnelMutations")
                start = min((t for t in probe(page).get("sent", []) if t >= since), default=since)
                by_owner: dict = collections.defaultdict(list)
                for t, owner, _kind in log:
                    by_owner[owner].append(t - start)
                for owner, times in sorted(by_owner.items(), key=lambda kv: kv[1][-1]):
                    print(f"  {owner:28s} {len(times):5d} mutations  {min(times):6.0f}..{max(times):6.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
