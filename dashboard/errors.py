"""The one error family of bad input: what a user can fix, said without a traceback.

`funnel` catches `FunnelError` and prints its message with exit code 2; the dashboard shows it as an
error box. Modules raise their own subclass (PolicyError, SnapshotError, ...) so a caller can tell them
apart, and none of them imports the CLI to do so.
"""

from __future__ import annotations


class FunnelError(Exception):
    """Bad input, a bad file or a bad argument: the message says what and where."""


class UsageError(FunnelError):
    """A wrong command-line argument or an impossible request."""


class ArgumentError(FunnelError, ValueError):
    """A wrong argument (bad date, unknown filter value, ...): the message says which and why."""
