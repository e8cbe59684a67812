"""Chart images: PNG/SVG through kaleido and a headless Chrome/Chromium.

    png = figure_to_image(fig, "png", scale=2)          # bytes; ExportUnavailable when no browser

No Streamlit here: pages call `figure_downloads` and hand the result to `st.download_button`.

Images need a Chrome or Chromium (kaleido >= 1 ships none). One browser is started per process on
first use and kept on its own event-loop thread. kaleido's own `start_sync_server` is not used: when
the browser fails to start, its worker thread dies and every later call waits forever on a queue, where
this module has to answer "unavailable" in a bounded time.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
START_TIMEOUT_S = 60  # the browser's start, including loading plotly.js once
RENDER_TIMEOUT_S = 60  # one image
# Chrome-family names looked for on PATH when choreographer's own search is unavailable
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_INSTALL_HINT = (
    "Install Chromium (Debian/Ubuntu: apt-get install chromium) or Google Chrome, "
    "or point BROWSER_PATH at a Chrome/Chromium executable."
)


class ExportUnavailable(RuntimeError):
    """Images cannot be rendered here (no usable Chrome/Chromium); the message says why and what to do."""


# -- images ---------------------------------------------------------------------------------------------
def browser_path() -> str | None:
    """The browser kaleido would use: $BROWSER_PATH when set, else the first Chrome/Chromium found."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"]
    try:
        from choreographer.browsers.chromium import Chromium  # lazy: kaleido's browser driver, for images only

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - best effort; fall back to PATH
        found = None
    return found or next((p for p in map(shutil.which, _BROWSER_NAMES) if p), None)


def _browser_problem(path: str | None) -> str | None:
    if not path:
        return f"Image export needs Chrome or Chromium and none was found. {_INSTALL_HINT}"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        where = "BROWSER_PATH" if os.environ.get("BROWSER_PATH") == path else "the browser path"
        return f"Image export needs Chrome or Chromium: {where} {path!r} is not an executable file. {_INSTALL_HINT}"
    return None


class _Renderer:
    """One kaleido browser per process, on a daemon thread running its own event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self._failed: tuple[str | None, str] | None = None  # (browser path, message) of a failed start

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def problem(self) -> str | None:
        """Why images can't be made, without starting a browser (None: probably fine)."""
        if self.running:
            return None
        path = browser_path()
        if self._failed and self._failed[0] == path:
            return self._failed[1]
        return _browser_problem(path)

    def _start(self) -> None:
        path = browser_path()
        problem = _browser_problem(path)
        if problem is None and self._failed and self._failed[0] == path:
            problem = self._failed[1]  # don't retry a browser that already failed to start
        if problem:
            raise ExportUnavailable(problem)
        import kaleido  # lazy: heavy (~400 ms), only when an image is drawn

        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="kaleido-render", daemon=True).start()

        async def open_browser():
            k = kaleido.Kaleido(path=path, n=1, timeout=RENDER_TIMEOUT_S, mathjax=False)
            await k.open()
            return k

        future = asyncio.run_coroutine_threadsafe(open_browser(), loop)
        try:
            self._kaleido = future.result(START_TIMEOUT_S)
        except BaseException as exc:  # noqa: BLE001 - any failure to start means "unavailable"
            future.cancel()
            loop.call_soon_threadsafe(loop.stop)
            if isinstance(exc, concurrent.futures.TimeoutError):
                reason = f"no answer within {START_TIMEOUT_S} s"
            else:  # choreographer's errors carry several sentences as args; the first says it
                reason = str(exc.args[0]) if exc.args else type(exc).__name__
            message = f"Image export: the browser at {path!r} did not start ({reason}). {_INSTALL_HINT}"
            self._failed = (path, message)
            raise ExportUnavailable(message) from None
        self._loop = loop
        atexit.register(self.close)

    def render(self, fig, opts: dict) -> bytes:
        with self._lock:
            if not self.running:
                self._start()
            loop, k = self._loop, self._kaleido
        future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
        try:
            return future.result(RENDER_TIMEOUT_S + 15)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ExportUnavailable(f"Image export timed out after {RENDER_TIMEOUT_S + 15} s") from None

    def close(self) -> None:
        with self._lock:
            loop, k = self._loop, self._kaleido
            self._loop = self._kaleido = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(15)
        except Exception:  # noqa: BLE001, S110 - closing at exit: nothing useful left to do
            pass
        loop.call_soon_threadsafe(loop.stop)


_RENDERER = _Renderer()


def unavailable_reason() -> str | None:
    """None when images can probably be rendered; else a readable reason (cheap: starts no browser).

    Pages use it to disable the download buttons with the reason as help text.
    """
    return _RENDERER.problem()


def figure_to_image(
    fig, fmt: str = "png", scale: float = 2, width: int | None = None, height: int | None = None
) -> bytes:
    """A plotly figure as PNG or SVG bytes, rendered by kaleido in this process's browser.

    `scale` multiplies the pixel size (PNG resolution); `width`/`height` (CSS pixels) override the
    figure's own size. Raises ExportUnavailable (never hangs) when no browser can be used.
    """
    fmt = fmt.lower()
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"image format {fmt!r}: use one of {', '.join(IMAGE_FORMATS)}")
    if not (isinstance(scale, (int, float)) and scale > 0):
        raise ValueError(f"scale must be a number > 0, not {scale!r}")
    opts: dict = {"format": fmt, "scale": scale}
    if width:
        opts["width"] = width
    if height:
        opts["height"] = height
    return _RENDERER.render(fig, opts)


def close_renderer() -> None:
    """Stop the browser (it stops by itself at exit; tests and long-lived servers may call this)."""
    _RENDERER.close()


@dataclass(frozen=True)
class Download:
    """What `st.download_button(d.label, d.data, d.file_name, d.mime)` needs.

    `data` is a zero-argument callable: Streamlit (>= 1.4x) runs it only when the button is clicked.
    """

    label: str
    file_name: str
    mime: str
    data: Callable[[], bytes]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def figure_downloads(fig, name: str, *, scale: float = 2, formats: tuple[str, ...] = ("png", "svg")) -> list[Download]:
    """One Download per image format for a chart; `name` becomes the file name ("MQL trend" -> mql-trend.png)."""
    return [
        Download(
            f"Download {fmt.upper()}",
            f"{slug(name)}.{fmt}",
            IMAGE_FORMATS[fmt],
            partial(figure_to_image, fig, fmt, scale),
        )
        for fmt in formats
    ]
