"""The backbones' ImageNet weights as an input of the workflow: where each "notop" file must
be, which are missing, and their verified download.

Rule ``imagenet_weights`` fetches a missing file before any data stage (a local, high-priority
job), so a machine without access to the Keras weights host fails within seconds instead of
hours into the run. Offline sites set ``pancancer.weights_download: false`` and place the files
by hand; validation then lists every missing file at once (:func:`missing_message`).

Standard library only: the workflow imports it at parse time (the download itself is
:func:`tcgatl.inputs.gdc.fetch`, given :func:`source`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..pancancer.options import BACKBONES, KERAS_APPS


def keras_cache_dir() -> Path:
    """Where keras.applications keeps downloaded weights (KERAS_HOME, default ~/.keras)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def weights_folder(weights_dir: str | None) -> Path:
    """pancancer.weights_dir, or the Keras cache when it is null."""
    return Path(weights_dir) if weights_dir else keras_cache_dir()


def weights_path(backbone: str, weights_dir: str | None) -> Path:
    return weights_folder(weights_dir) / BACKBONES[backbone].weights_file


def needed(pancancer: dict) -> list[str]:
    """The backbones whose ImageNet weights the configured pan-cancer stage loads."""
    return list(pancancer["backbones"]) if pancancer["weights"] == "imagenet" else []


def missing(pancancer: dict) -> list[str]:
    """The configured backbones whose weights file is not in place."""
    return [b for b in needed(pancancer) if not weights_path(b, pancancer["weights_dir"]).exists()]


def missing_message(pancancer: dict, source: str = "") -> str | None:
    """One message listing every missing weights file, with the folder it must be placed in
    and its address; None when every file is in place."""
    absent = missing(pancancer)
    if not absent:
        return None
    folder = weights_folder(pancancer["weights_dir"])
    base = pancancer["weights_url"]
    where = f" in {source}" if source else ""
    lines = [
        f"{len(absent)} ImageNet weights file(s) missing and pancancer.weights_download is false{where}. "
        f"Place each file in {folder}/ (pancancer.weights_dir; null: the Keras cache):"
    ]
    lines += [f"  {BACKBONES[b].weights_file}  ({b}): {BACKBONES[b].weights_url(base)}" for b in absent]
    lines.append(
        "or set pancancer.weights_download: true to fetch them, or pancancer.weights: none to train from scratch."
    )
    return "\n".join(lines)


def source(backbone: str, base_url: str = KERAS_APPS) -> dict:
    """Where the weights of ``backbone`` come from and how the download is checked: the
    arguments of :func:`tcgatl.inputs.gdc.fetch` besides the destination (Keras's md5 for the
    file; the server's Content-Length for its size)."""
    b = BACKBONES[backbone]
    return {"url": b.weights_url(base_url), "md5": b.weights_md5, "what": f"{backbone} ImageNet weights"}
