"""`funnel bench --browser`: the time people feel, from a click to the redrawn page, in headless Chromium
(the targets and browser.md: browser_report.py).

Starts a real `funnel serve` on the sample of each size (its own process group), opens the dashboard in
headless Chromium (playwright with Debian's /usr/bin/chromium) and, page by page:

- **first load**: the page opened in a fresh session (a new Streamlit session; the process's caches are
  whatever the earlier pages left, as in a meeting), until the page is drawn;
- **filter changes**: the sidebar's Segment filter three times and then back to the first value (the
  *repeat*: a filter state seen a moment earlier), the Period preset twice, the page's own control twice
  where it has one (the attribution model, the trend metric, the score threshold, the bookings target),
  and last the Campaign filter (one campaign's scope is small: what comes before it is timed on the
  whole), each until the page is drawn again;

and reports p50/p95/max per page, the repeat on its own, and the server's CPU time per change (user + system
of every process in the server's process group, from /proc/PID/stat) and the browser's (playwright's driver
and Chromium, this process's descendants). With `--sessions N` it then opens the
Overview in N sessions at once and reports the time until each is drawn, failures, the server's CPU time per
session and the server's memory (the largest sum of RSS seen while they load).

"Drawn" is judged from the page itself, because during a rerun this Streamlit shows no status widget (a wait
on it returns at once): an init script counts DOM mutations and websocket messages, and a page is drawn when
the app root no longer says a script is running (`data-test-script-state`: a long query moves nothing on the
page, so quiet alone is not enough), no element is stale (`data-stale="true"`), no skeleton is left, every
Plotly chart has its SVG, no exception shows, and neither the DOM nor the websocket has moved for QUIET_S.
The time of a change is from the click to the page's last DOM mutation (the quiet second after it is not
counted). Changes inside an aria-live region are not counted: they are announcements for screen readers,
drawn nowhere, and the selectbox clears its own about a second after a choice (which made a page drawn in
0.4 s look drawn in 1.0 s).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dashboard.benching.processes import (
    browser_cpu_seconds,
    cpu_seconds,
    free_port,
    funnel_command,
    http_ok,
    rss_mb,
    stop,
)
from dashboard.benching.serving import SERVE_TIMEOUT_S
from dashboard.benching.timing import percentile

QUIET_S = 1.0  # neither the DOM nor the websocket moved for this long: the page is idle
CHANGE_TIMEOUT_S = 180.0  # a change not drawn by then is reported as failed (10M leads before the fix: 43 s)
CHROMIUM = "/usr/bin/chromium"

# (page, url path, the page's own control: (kind, label)); url paths as app.py names them
PAGES = (
    ("overview", "", None),
    ("funnel", "funnel", ("selectbox", "Trend of")),
    ("campaigns", "campaigns", ("selectbox", "Attribution model")),
    ("sla", "sla", None),
    ("scoring", "scoring", ("slider", "MQL threshold")),
    ("plan", "plan", ("number", "Bookings target")),
)
PAGE_NAMES = tuple(p[0] for p in PAGES)
# the app root's data-test-script-state while a run is under way or asked for (the first load: "initial");
# nothing may be judged drawn before it leaves these, however quiet the page is during a long query
SCRIPT_BUSY = ("initial", "running", "rerunRequested")
PERIOD_PRESETS = ("Last full quarter", "Year to date")

# Runs in the page before any of its scripts: counts DOM mutations and websocket messages (with the time
# of the last of each), and answers what a rerun leaves behind (stale elements, skeletons, undrawn charts).
PROBE_SCRIPT = """
(() => {
  const state = {mutation: Date.now(), message: Date.now(), mutations: 0, messages: 0};
  window.__funnelBench = state;
  // A change inside an aria-live region is an announcement for screen readers ("3 options available"),
  // drawn nowhere: the selectbox clears its announcement about a second after a choice, which would
  // otherwise count as the page's last change.
  const announced = r => {
    const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    return !!(node && node.closest('[aria-live]'));
  };
  new MutationObserver(records => {
    if (records.every(announced)) return;
    state.mutation = Date.now(); state.mutations += 1;
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const Native = window.WebSocket;
  state.sent = [];
  class Counted extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { state.message = Date.now(); state.messages += 1; });
    }
    send(data) {
      state.sent.push(Date.now());
      if (state.sent.length > 50) state.sent.shift();
      return super.send(data);
    }
  }
  window.WebSocket = Counted;
  window.__funnelProbe = () => {
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const title = document.querySelector('h1');
    const app = document.querySelector('[data-testid="stApp"]');
    return {
      script: app ? app.getAttribute('data-test-script-state') : null,
      now: Date.now(), mutation: state.mutation, message: state.message,
      mutations: state.mutations, messages: state.messages, sent: state.sent.slice(),
      stale: document.querySelectorAll('[data-stale="true"]').length,
      skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
      charts: charts.length,
      drawn: charts.filter(c => c.querySelector('.main-svg')).length,
      exception: [...document.querySelectorAll('[data-testid="stException"]')]
        .map(e => e.innerText.slice(0, 300)).join(' | '),
      title: title ? title.innerText : null,
    };
  };
})();
"""


class BrowserBenchError(RuntimeError):
    """The server or the browser could not be driven (not a slow page: that is a result)."""


@dataclass
class Server:
    """A `funnel serve` in its own process group, on a free local port."""

    data: Path
    log_path: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    started_s: float = 0.0
    health_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def pgid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = SERVE_TIMEOUT_S) -> Server:
        self.port = self.port or free_port()
        cmd = [*funnel_command(), "serve", "--data", str(self.data), "--port", str(self.port), "--host", "127.0.0.1"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")
        began = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        while time.perf_counter() - began < timeout:
            if self.proc.poll() is not None:
                raise BrowserBenchError(
                    f"`funnel serve --data {self.data}` exited with code {self.proc.returncode} (see {self.log_path})"
                )
            if http_ok(f"{self.url}_stcore/health"):
                self.health_s = round(time.perf_counter() - began, 2)
                return self
            time.sleep(0.1)
        self.stop()
        raise BrowserBenchError(f"`funnel serve` did not answer its health check within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- one page in the browser --------------------------------------------------------------------------------


def probe(page) -> dict:
    return page.evaluate("() => window.__funnelProbe ? window.__funnelProbe() : null") or {}


def is_drawn(state: dict, since_ms: float, quiet_s: float = QUIET_S) -> bool:
    """The page has settled after `since_ms`: something arrived after it, nothing is stale or loading,
    every chart is drawn, and neither the DOM nor the websocket moved for `quiet_s`."""
    if not state or state.get("title") is None:
        return False
    if state.get("script") in SCRIPT_BUSY:  # the server is still running the page: more may come
        return False
    if max(state["mutation"], state["message"]) < since_ms:
        return False
    if state["stale"] or state["skeletons"] or state["drawn"] < state["charts"]:
        return False
    return state["now"] - max(state["mutation"], state["message"]) >= quiet_s * 1000


def wait_drawn(
    page, since_ms: float, timeout: float = CHANGE_TIMEOUT_S, quiet_s: float = QUIET_S, from_request: bool = True
) -> dict:
    """Poll until the page is drawn; returns {"seconds": request to last DOM change, ...} or {"error": ...}.
    With from_request=False (a page load) the time counts from `since_ms` itself."""
    deadline = time.time() + timeout
    state: dict = {}
    while time.time() < deadline:
        state = probe(page)
        if state.get("exception"):
            return {"error": f"the page shows an exception: {state['exception'][:200]}"}
        if is_drawn(state, since_ms, quiet_s):
            # from the browser's request to rerun (its first websocket message after the action began: the
            # driver's own steps, such as opening a dropdown, are not what a person waits for)
            start = (
                min((t for t in state.get("sent", []) if t >= since_ms), default=since_ms) if from_request else since_ms
            )
            end = state["mutation"] if state["mutation"] >= since_ms else state["message"]
            return {
                "seconds": round((end - start) / 1000, 3),
                "charts": state["charts"],
                "title": state["title"],
                "driver_s": round((start - since_ms) / 1000, 3),
            }
        time.sleep(0.05)
    return {
        "error": f"not drawn within {timeout:.0f} s (stale {state.get('stale')}, charts "
        f"{state.get('drawn')}/{state.get('charts')})"
    }


def selectbox_options(page, label: str) -> list[str]:
    """Open a selectbox (a combobox named by its label), read the options it lists (the first screenful of a
    long list: the list is virtual), close it."""
    page.get_by_role("combobox", name=label, exact=True).click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=30_000)
    texts = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return [t for t in texts if t]


def _choose(page, label: str, value: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=value, exact=True).first.click()


def _radio(page, label: str, value: str) -> None:
    page.locator('[data-testid="stRadio"]').filter(has=page.get_by_text(label, exact=True)).locator("label").filter(
        has_text=value
    ).first.click()


def _slider_step(page, label: str) -> None:
    page.locator('[data-testid="stSlider"]').filter(has_text=label).locator('input[type="range"]').first.press(
        "ArrowRight"
    )


def _number_step(page, label: str) -> None:
    page.locator('[data-testid="stNumberInput"]').filter(has_text=label).locator(
        '[data-testid="stNumberInputStepUp"]'
    ).first.click()


@dataclass
class Change:
    """One timed change: what was done (control, value), and a callable that does it."""

    control: str
    value: str
    act: object
    repeat: bool = False


def page_changes(page, own: tuple[str, str] | None) -> list[Change]:
    """The changes timed on a page, with values read from the page itself (any snapshot's segments)."""
    segments = selectbox_options(page, "Segment")
    if not segments:
        raise BrowserBenchError("the Segment filter lists no values")
    picks = (segments * 3)[:3]
    changes = [Change("segment", v, lambda v=v: _choose(page, "Segment", v)) for v in picks]
    changes.append(Change("segment", picks[0], lambda: _choose(page, "Segment", picks[0]), repeat=True))
    for preset in PERIOD_PRESETS:
        changes.append(Change("period", preset, lambda p=preset: _radio(page, "Period", p)))
    changes += own_control_changes(page, own)
    # the campaign last: one campaign's scope is small, and the changes before it are timed on the whole
    campaigns = selectbox_options(page, "Campaign")
    if campaigns:
        changes.append(Change("campaign", campaigns[0], lambda: _choose(page, "Campaign", campaigns[0])))
    return changes


def own_control_changes(page, own: tuple[str, str] | None) -> list[Change]:
    """Two changes of the page's own control (none for a page without one)."""
    changes: list[Change] = []
    if own is None:
        return changes
    kind, label = own
    if kind == "selectbox":
        values = selectbox_options(page, label)
        for v in values[1:3]:
            changes.append(Change(label, v, lambda v=v: _choose(page, label, v)))
    elif kind == "slider":
        for step in ("+5", "+10"):
            changes.append(Change(label, step, lambda: _slider_step(page, label)))
    elif kind == "number":
        for step in ("+1 step", "+2 steps"):
            changes.append(Change(label, step, lambda: _number_step(page, label)))
    return changes


def _goto(page, url: str) -> float:
    since = time.time() * 1000
    page.goto(url, wait_until="commit", timeout=SERVE_TIMEOUT_S * 1000)
    return since


def measure_page(browser, server: Server, name: str, path: str, own) -> dict:
    """One page: its first load in a fresh session, then each change, with the server's CPU per change."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    context.add_init_script(PROBE_SCRIPT)
    page = context.new_page()
    try:
        cpu0, browser0 = cpu_seconds(server.pgid), browser_cpu_seconds(server.pgid)
        first = wait_drawn(page, _goto(page, server.url + path), timeout=SERVE_TIMEOUT_S, from_request=False)
        first["server_cpu_s"] = round(cpu_seconds(server.pgid) - cpu0, 3)
        first["browser_cpu_s"] = round(browser_cpu_seconds(server.pgid) - browser0, 3)
        result = {"page": name, "first_load": first, "changes": []}
        if "error" in first:
            return result
        for change in page_changes(page, own):
            cpu0, browser0 = cpu_seconds(server.pgid), browser_cpu_seconds(server.pgid)
            since = time.time() * 1000
            change.act()
            timed = wait_drawn(page, since)
            timed.update(
                control=change.control,
                value=change.value,
                repeat=change.repeat,
                server_cpu_s=round(cpu_seconds(server.pgid) - cpu0, 3),
                browser_cpu_s=round(browser_cpu_seconds(server.pgid) - browser0, 3),
            )
            result["changes"].append(timed)
        result.update(summarise(result))
        return result
    finally:
        context.close()


def summarise(result: dict) -> dict:
    """p50/p95/max of the changes' times (the repeat excluded, reported on its own) and of server CPU."""
    ok = [c for c in result["changes"] if "seconds" in c]
    fresh = [c["seconds"] for c in ok if not c["repeat"]]
    repeat = [c for c in ok if c["repeat"]]
    cpu = [c["server_cpu_s"] for c in ok]
    return {
        "change_s": {
            "n": len(fresh),
            "p50": _round(percentile(fresh, 0.5)),
            "p95": _round(percentile(fresh, 0.95)),
            "max": _round(max(fresh, default=None)),
        },
        "repeat_s": repeat[0]["seconds"] if repeat else None,
        "repeat_server_cpu_s": repeat[0]["server_cpu_s"] if repeat else None,
        "repeat_browser_cpu_s": repeat[0].get("browser_cpu_s") if repeat else None,
        "server_cpu_per_change_s": {"p50": _round(percentile(cpu, 0.5)), "max": _round(max(cpu, default=None))},
        "failed": len(result["changes"]) - len(ok),
    }


def _round(x):
    return None if x is None else round(x, 3)


# -- N sessions at once -----------------------------------------------------------------------------


def measure_sessions(browser, server: Server, sessions: int, path: str = "") -> dict:
    """Open `path` in N fresh sessions at once; the time until each is drawn, the server's CPU and memory."""
    contexts, pages = [], []
    try:
        for _ in range(sessions):
            context = browser.new_context(viewport={"width": 1400, "height": 1800})
            context.add_init_script(PROBE_SCRIPT)
            contexts.append(context)
            pages.append(context.new_page())
        rss_before = rss_mb(server.pgid)
        cpu0 = cpu_seconds(server.pgid)
        since = time.time() * 1000
        for page in pages:  # navigation is started on each, not awaited: they load together
            page.goto(server.url + path, wait_until="commit", timeout=SERVE_TIMEOUT_S * 1000)
        done: dict[int, dict] = {}
        peak = rss_before
        deadline = time.time() + SERVE_TIMEOUT_S
        while len(done) < sessions and time.time() < deadline:
            peak = max(peak, rss_mb(server.pgid))
            for i, page in enumerate(pages):
                if i in done:
                    continue
                state = probe(page)
                if state.get("exception"):
                    done[i] = {"error": f"exception: {state['exception'][:200]}"}
                elif is_drawn(state, since):
                    done[i] = {"seconds": round((state["mutation"] - since) / 1000, 3)}
            time.sleep(0.1)
        cpu = cpu_seconds(server.pgid) - cpu0
        peak = max(peak, rss_mb(server.pgid))
        times = [done[i]["seconds"] for i in sorted(done) if "seconds" in done[i]]
        failed = sessions - len(times)
        return {
            "sessions": sessions,
            "page": path or "overview",
            "drawn": len(times),
            "failed": failed,
            "errors": [done[i]["error"] for i in sorted(done) if "error" in done[i]],
            "each_s": times,
            "p50_s": _round(percentile(times, 0.5)),
            "max_s": _round(max(times, default=None)),
            "server_cpu_s": round(cpu, 3),
            "server_cpu_per_session_s": round(cpu / sessions, 3),
            "server_rss_before_mb": round(rss_before, 1),
            "server_rss_peak_mb": round(peak, 1),
        }
    finally:
        for context in contexts:
            context.close()


# -- one size, end to end -------------------------------------------------------------------------------


def measure_browser(
    data: Path, out: Path, pages: tuple[str, ...] = PAGE_NAMES, sessions: int = 0, log=lambda message: None
) -> dict:
    """Serve `data`, warm the server with one Overview load, then time each page and the sessions."""
    try:
        from playwright.sync_api import sync_playwright  # lazy: optional (the test extra), and heavy
    except ImportError as exc:
        raise BrowserBenchError("playwright is not installed (python -m pip install playwright)") from exc
    if not Path(CHROMIUM).exists():
        raise BrowserBenchError(f"{CHROMIUM} is missing (apt-get install chromium)")
    server = Server(data=data, log_path=out / "serve-browser.log")
    result: dict = {"data": str(data), "pages": [], "quiet_s": QUIET_S}
    with server, sync_playwright() as pw:
        result["health_s"] = server.health_s
        browser = pw.chromium.launch(headless=True, executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            log("warm-up: the Overview once (the server prepares the snapshot's facts)")
            context = browser.new_context()
            context.add_init_script(PROBE_SCRIPT)
            page = context.new_page()
            cpu0 = cpu_seconds(server.pgid)
            warm = wait_drawn(page, _goto(page, server.url), timeout=SERVE_TIMEOUT_S, from_request=False)
            warm["server_cpu_s"] = round(cpu_seconds(server.pgid) - cpu0, 3)
            result["warm_up"] = warm
            context.close()
            if "error" in warm:
                raise BrowserBenchError(f"the Overview did not draw on a fresh server: {warm['error']}")
            for name, path, own in PAGES:
                if name in pages:
                    log(f"page {name}")
                    result["pages"].append(measure_page(browser, server, name, path, own))
            if sessions:
                log(f"{sessions} sessions opening the Overview at once")
                result["sessions"] = measure_sessions(browser, server, sessions)
            result["server_rss_mb"] = round(rss_mb(server.pgid), 1)
        finally:
            browser.close()
    return result
