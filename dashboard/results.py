"""Query results kept per snapshot and parameters: the same question asked twice is answered once.

A snapshot never changes, so a query's result depends only on its name and bound parameters: Funnel
keeps recent results (Polars frames, which no caller modifies in place) under that key, for both
engines. The meeting's filter changes go back and forth (segment on, off, on again), and a notebook
re-runs its cells. This is the one cache of query results: the CLI, the deck, a notebook and every
session of the dashboard share it (one Funnel per process and snapshot identity), and the pages keep
no copy of their own (st.cache_data would pickle and unpickle every frame on every rerun). Bounded by the frames' estimated size, least recently used first out; a frame larger
than the whole budget (a records table of a huge period) is returned without being kept.

A question already being answered is not asked again: a second caller with the same key (another
session opening the same page, or a page's own call while its prefetch runs) waits for the first caller's
answer, or its error, instead of running the query a second time. Ten people opening the Overview at once
run its queries once.

`funnel bench` turns it off (max_bytes = 0) so that every timing is a real query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import polars as pl

DEFAULT_MAX_BYTES = 256 * 2**20


def _frozen(value: object) -> object:
    """A hashable, exact stand-in for a bound parameter value (lists become tuples)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


def _size(value: object) -> int:
    """A result's estimated bytes: a frame's own estimate; a (frame, count) pair's frame; else small."""
    if isinstance(value, pl.DataFrame):
        return value.estimated_size()
    if isinstance(value, tuple):
        return sum(_size(v) for v in value)
    return 64


class _Pending:
    """A query under way: the callers that asked the same question meanwhile wait for its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None

    def outcome(self):
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class ResultCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._frames: OrderedDict[tuple, tuple[pl.DataFrame, int]] = OrderedDict()
        self._pending: dict[tuple, _Pending] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.joined = 0  # callers that waited for a query another caller was already running

    @staticmethod
    def key(name: str, bound: dict[str, object]) -> tuple:
        # the type is part of the key: 1 and 1.0 and True bind differently
        return (name, tuple((k, type(v).__name__, _frozen(v)) for k, v in sorted(bound.items())))

    def get_or_run(self, name: str, bound: dict[str, object], run: Callable[[], object]):
        if self.max_bytes <= 0:
            return run()
        key = self.key(name, bound)
        with self._lock:
            found = self._frames.get(key)
            if found is not None:
                self._frames.move_to_end(key)
                self.hits += 1
                return found[0]
            pending = self._pending.get(key)
            if pending is None:
                pending = self._pending[key] = _Pending()
                self.misses += 1
                owner = True
            else:
                self.joined += 1
                owner = False
        if not owner:
            return pending.outcome()
        try:
            frame = run()  # outside the lock: other questions run meanwhile
        except BaseException as exc:
            pending.error = exc
            raise
        else:
            pending.value = frame
            self._keep(key, frame)
            return frame
        finally:
            with self._lock:
                del self._pending[key]
            pending.done.set()

    def _keep(self, key: tuple, frame: object) -> None:
        size = _size(frame)
        if size > self.max_bytes:
            return
        with self._lock:
            if key not in self._frames:
                self._frames[key] = (frame, size)
                self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._frames.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0
