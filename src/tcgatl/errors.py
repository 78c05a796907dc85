"""Errors that name the file (or config key) and the problem, for users to act on."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A user-supplied file is unusable: the message names the file and what is wrong."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else str(path)
        self.problem = problem
        where = f"{self.path}: " if self.path else ""
        super().__init__(f"{where}{problem}")


class ConfigError(ValueError):
    """The workflow configuration is invalid: the message names the key, value and what is allowed."""


def preview(items, limit: int = 5) -> str:
    """A short, readable list of offending items for error messages."""
    items = [str(i) for i in items]
    head = ", ".join(repr(i) for i in items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return head + more
