"""GDC downloads: manifest, file metadata, and verified, resumable transfers.

A file is streamed to ``<dest>.part`` (resumed with an HTTP Range request after a dropped
connection), its size and md5 are checked, and only then is it renamed to ``dest``: an
interrupted or corrupt transfer never leaves a file that Snakemake would treat as done.
:func:`fetch` does this for any address (the ImageNet weights use it too); :func:`download`
for a GDC file id.
"""

from __future__ import annotations

import csv
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from tqdm import tqdm

# Standard library only (not tcgatl.io): the workflow imports this module at parse time.
from ..filecheck import (
    looks_like_html,
    md5sum,  # noqa: F401  (callers and tests verify files with gdc.md5sum)
)

log = logging.getLogger(__name__)

GDC_API = "https://api.gdc.cancer.gov"
CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download that failed for good; the message names the file and the problem."""


class _Retryable(Exception):
    """A transfer problem worth another attempt (network error, truncated or corrupt body).

    ``restart``: the partial file is worthless (an error page, a checksum mismatch) and the
    next attempt starts from byte 0 instead of resuming.
    """

    def __init__(self, problem: str, restart: bool = False):
        super().__init__(problem)
        self.restart = restart


@dataclass(frozen=True)
class ManifestEntry:
    id: str
    filename: str
    md5: str | None
    size: int | None


def read_manifest(path: str | Path) -> dict[str, ManifestEntry]:
    """resources/gdc_manifest.tsv -> entries by GDC id (md5/size 'NA' when not recorded)."""
    path = Path(path)
    entries = {}
    with open(path) as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        missing = {"id", "filename", "md5", "size"} - set(rows.fieldnames or [])
        if missing:
            raise DownloadError(f"{path}: manifest lacks column(s) {sorted(missing)}")
        for row in rows:
            md5 = None if row["md5"] in ("", "NA") else row["md5"].lower()
            size = None if row["size"] in ("", "NA") else int(row["size"])
            entries[row["id"]] = ManifestEntry(row["id"], row["filename"], md5, size)
    return entries


def file_metadata(file_id: str, base_url: str = GDC_API, timeout: float = 60) -> dict:
    """md5sum, file_size and file_name from the GDC files endpoint."""
    url = f"{base_url.rstrip('/')}/files/{file_id}"
    try:
        r = requests.get(url, params={"fields": "md5sum,file_size,file_name"}, timeout=timeout)
        r.raise_for_status()
        data = r.json()["data"]
        return {"md5": data["md5sum"].lower(), "size": int(data["file_size"]), "filename": data["file_name"]}
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise DownloadError(
            f"cannot get md5 and size of GDC file {file_id} from {url} ({exc}); add them to the manifest "
            f"or download the file yourself and give its local path in the config"
        ) from exc


def _total_size(r) -> int | None:
    """The whole file's size from a 200's Content-Length or a 206's Content-Range."""
    if r.status_code == 206:
        total = r.headers.get("Content-Range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = r.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


def _transfer(url: str, part: Path, size: int | None, timeout: float, name: str, progress: bool) -> int | None:
    """Append the missing bytes of ``url`` to ``part``; raises _Retryable on transfer problems.
    ``size`` None: the server's word for it (the md5 still decides). Returns the size."""
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with requests.get(url, headers=headers, stream=True, timeout=timeout) as r:
            if r.status_code == 416:
                if size is None or have == size:
                    return have  # already complete (the md5 check decides)
                raise _Retryable("the server refused the resume range; restarting the file", restart=True)
            if r.status_code in (401, 403, 404):
                raise DownloadError(f"{name}: the server answered {r.status_code} {r.reason} for {url}")
            if r.status_code >= 400:
                raise _Retryable(f"HTTP {r.status_code} {r.reason}")
            ctype = r.headers.get("Content-Type", "")
            if "text/html" in ctype:
                raise _Retryable(f"the server sent an HTML page ({ctype}) instead of the file", restart=True)
            if have and r.status_code != 206:
                log.info("%s: server ignored the Range request; restarting from byte 0", name)
                have = 0
            if size is None:
                size = _total_size(r)
            mode = "ab" if have else "wb"
            bar = tqdm(
                total=size,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=name,
                disable=not progress,
                mininterval=5,
                file=None,
            )
            first = True
            with open(part, mode) as fh, bar:
                for chunk in r.iter_content(CHUNK):
                    if first and have == 0 and looks_like_html(chunk):
                        raise _Retryable("the server sent an HTML page instead of the file", restart=True)
                    first = False
                    fh.write(chunk)
                    bar.update(len(chunk))
    except requests.RequestException as exc:
        got = part.stat().st_size if part.exists() else 0
        if isinstance(exc, (requests.ConnectionError, requests.Timeout)) and got == have:
            raise _Retryable(f"cannot reach {url}: {type(exc).__name__}") from exc
        raise _Retryable(f"connection ended after {got} of {size or '?'} bytes ({type(exc).__name__})") from exc
    got = part.stat().st_size if part.exists() else 0
    if size is not None and got < size:
        raise _Retryable(f"connection ended after {got} of {size} bytes")
    return size if size is not None else got


def _verify(part: Path, size: int, md5: str) -> str:
    """The md5 of a complete ``part`` file; a wrong size or checksum restarts the download."""
    actual_size = part.stat().st_size
    if actual_size != size:
        raise _Retryable(f"size mismatch: expected {size} bytes, got {actual_size}", restart=True)
    actual = md5sum(part)
    if actual != md5.lower():
        raise _Retryable(f"md5 mismatch: expected {md5}, got {actual}", restart=True)
    return actual


def fetch(
    url: str,
    dest: str | Path,
    *,
    md5: str,
    size: int | None = None,
    what: str = "",
    retries: int = 5,
    backoff: float = 2.0,
    timeout: float = 60,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest``, verified by md5 (and by ``size`` when known; otherwise the
    server's Content-Length). Network errors and truncated bodies are resumed from where they
    stopped; an HTML page or a checksum mismatch restarts the file. After ``retries`` failed
    attempts a :class:`DownloadError` names the file, ``what`` it is, and the last problem."""
    dest = Path(dest)
    name = dest.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    problem = ""
    for attempt in range(1, retries + 1):
        try:
            got = _transfer(url, part, size, timeout, name, progress)
            actual = _verify(part, got if size is None else size, md5)
            os.replace(part, dest)
            log.info("%s: %d bytes, md5 %s verified", name, dest.stat().st_size, actual)
            return dest
        except _Retryable as exc:
            problem = str(exc)
            if exc.restart and part.exists():
                part.unlink()
            log.warning("%s: attempt %d/%d failed: %s", name, attempt, retries, problem)
            if attempt < retries:
                time.sleep(min(backoff * 2 ** (attempt - 1), 60))
    what = f" ({what})" if what else ""
    raise DownloadError(f"{name}{what}: download from {url} failed after {retries} attempt(s): {problem}")


def download(
    file_id: str,
    dest: str | Path,
    *,
    md5: str | None = None,
    size: int | None = None,
    base_url: str = GDC_API,
    retries: int = 5,
    backoff: float = 2.0,
    timeout: float = 60,
    progress: bool = True,
) -> Path:
    """Download GDC file ``file_id`` to ``dest``, verified by size and md5 (:func:`fetch`).

    Missing md5/size are taken from the GDC files endpoint.
    """
    if md5 is None or size is None:
        meta = file_metadata(file_id, base_url, timeout)
        md5, size = md5 or meta["md5"], size if size is not None else meta["size"]
    url = f"{base_url.rstrip('/')}/data/{file_id}"
    return fetch(
        url,
        dest,
        md5=md5,
        size=size,
        what=f"GDC file {file_id}",
        retries=retries,
        backoff=backoff,
        timeout=timeout,
        progress=progress,
    )
