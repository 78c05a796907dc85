"""Checks of downloaded and input files that need only the standard library (the GDC client,
which the workflow imports at parse time, uses them; :mod:`tcgatl.io` re-exports them)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def md5sum(path: str | Path, block: int = 1 << 23) -> str:
    """md5 of a file, read in blocks (raw inputs are tens of GB)."""
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            h.update(chunk)
    return h.hexdigest()


def looks_like_html(first: bytes) -> bool:
    """True for the start of an HTML page (what a failed download or a login wall saves)."""
    head = first.lstrip()[:64].lower()
    return head.startswith((b"<!doctype html", b"<html"))
