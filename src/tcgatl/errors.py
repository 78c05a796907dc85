"""Errors that name the file (or config key) and the problem, for users to act on."""

from __future__ import annotations

import difflib
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


def close_match(value, allowed) -> str | None:
    """The allowed name closest to ``value``, compared case-insensitively (``Resnet50`` and
    ``vgg19`` are near misses of ``ResNet50`` and ``VGG19``); None when none is close."""
    if not isinstance(value, str):
        return None
    by_folded = {}
    for name in allowed:
        if isinstance(name, str):
            by_folded.setdefault(name.casefold(), name)
    found = difflib.get_close_matches(value.casefold(), list(by_folded), n=1)
    return by_folded[found[0]] if found else None


def did_you_mean(value, allowed) -> str:
    """``"; did you mean 'X'?"`` for a near-miss name, to append to a message; else ``""``."""
    match = close_match(value, allowed)
    return f"; did you mean {match!r}?" if match is not None and match != value else ""
