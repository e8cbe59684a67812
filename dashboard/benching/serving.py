"""The cold `funnel kpis --json` command (wall time) and `funnel serve`'s time to its first rendered page
(health endpoint, then a headless Chromium load that waits for a plotly chart)."""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

from dashboard.benching.processes import REPO, free_port, funnel_command, http_ok, run_checked, stop
from dashboard.benching.timing import Timer

SERVE_TIMEOUT_S = 300.0


def measure_kpis_cold(data: Path, runs: int) -> dict:
    times = []
    for _ in range(runs):
        t = Timer()
        done = run_checked([*funnel_command(), "kpis", "--data", str(data), "--json"])
        times.append(t())
        json.loads(done.stdout)  # it printed a whole JSON object
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(x, 3) for x in times]}


def app_pages_exist() -> bool:
    pages = REPO / "dashboard" / "app_pages"
    return (REPO / "dashboard" / "app.py").is_file() and pages.is_dir() and any(pages.glob("*.py"))


def measure_serve(data: Path, out: Path, timeout: float = SERVE_TIMEOUT_S) -> dict:
    """Start `funnel serve` on a free local port; time until /_stcore/health answers and until the first
    page has drawn a plotly chart in headless Chromium."""
    if importlib.util.find_spec("dashboard.serve") is None:
        return {
            "status": "unavailable",
            "note": "dashboard/serve.py does not exist yet, so `funnel serve` cannot start: nothing measured",
        }
    help_text = subprocess.run([*funnel_command(), "serve", "--help"], capture_output=True, text=True).stdout
    port = free_port()
    cmd = [*funnel_command(), "serve"]
    if "--data" in help_text:
        cmd += ["--data", str(data)]
    if "--port" in help_text:
        cmd += ["--port", str(port)]
    if "--host" in help_text:
        cmd += ["--host", "127.0.0.1"]
    env = {
        **os.environ,
        "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    url = f"http://127.0.0.1:{port}"
    log_path = out / "serve.log"
    result: dict = {"status": "error", "command": "funnel " + " ".join(cmd[cmd.index("serve") :])}
    with open(log_path, "w") as log:
        t = Timer()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True)
        try:
            while t() < timeout:
                if proc.poll() is not None:
                    result["note"] = f"the server exited with code {proc.returncode} (see {log_path})"
                    return result
                if http_ok(f"{url}/_stcore/health"):
                    result["health_s"] = round(t(), 2)
                    break
                time.sleep(0.1)
            else:
                result["note"] = f"no health answer within {timeout:.0f} s"
                return result
            if not app_pages_exist():
                result.update(
                    status="health only",
                    note="the app pages (dashboard/app.py, app_pages/) do not exist yet: time to health endpoint only",
                )
                return result
            result.update(first_render(url, t, timeout))
        finally:
            stop(proc)
    return result


def first_render(url: str, t: Timer, timeout: float) -> dict:
    """Load the first page in headless Chromium; poll until a plotly chart is drawn or an exception shows."""
    try:
        from playwright.sync_api import sync_playwright  # lazy: optional, and heavy
    except ImportError:
        return {"status": "health only", "note": "playwright is not installed"}
    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(headless=True, executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
            while t() < timeout:
                if page.query_selector('[data-testid="stPlotlyChart"] .js-plotly-plot, .js-plotly-plot .main-svg'):
                    return {"status": "ok", "first_render_s": round(t(), 2)}
                broken = page.query_selector('[data-testid="stException"]')
                if broken:
                    text = " ".join((broken.inner_text() or "").split())[:200]
                    return {"status": "exception", "note": f"the first page shows an exception: {text}"}
                time.sleep(0.25)
            return {"status": "no chart", "note": f"no plotly chart on the first page within {timeout:.0f} s"}
        finally:
            browser.close()
