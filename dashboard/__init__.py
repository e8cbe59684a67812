"""Shared Funnel: one set of funnel numbers, with their definitions, for sales and marketing."""

from __future__ import annotations

__all__ = ["Funnel"]


def __getattr__(name: str):
    # Lazy, so `import dashboard.contract` stays light (no DuckDB import).
    if name == "Funnel":
        from dashboard.api import Funnel

        return Funnel
    raise AttributeError(name)
