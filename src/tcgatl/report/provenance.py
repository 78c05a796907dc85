"""What a reader needs to trust or redo the numbers: config, software, inputs, date."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as md
import platform
import subprocess
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import md5sum

# The distributions the results depend on (absent ones are listed as such: a report built in
# the small report env does not have TensorFlow, the training env does).
PACKAGES = [
    "snakemake",
    "tensorflow-cpu",
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "imbalanced-learn",
    "scipy",
    "matplotlib",
    "Jinja2",
    "jsonschema",
    "snakemake-executor-plugin-slurm",
]


def software_versions(packages=PACKAGES) -> pd.DataFrame:
    rows = [
        {"software": "python", "version": platform.python_version()},
        {"software": "platform", "version": platform.platform()},
    ]
    for name in packages:
        try:
            rows.append({"software": name, "version": md.version(name)})
        except md.PackageNotFoundError:
            if name not in ("tensorflow", "tensorflow-cpu"):
                rows.append({"software": name, "version": "not installed here"})
    if not any(r["software"].startswith("tensorflow") for r in rows):
        rows.append({"software": "tensorflow", "version": "not installed here"})
    return pd.DataFrame(rows)


# The device fields of a checkpoint's "trained_on" (pancancer.backend.describe), in table order.
DEVICE_FIELDS = (
    "backend",
    "framework",
    "keras",
    "device",
    "cpu",
    "cpu_threads",
    "gpu",
    "gpu_capability",
    "driver",
    "cuda",
)


def trained_on(metas: dict[tuple[str, str], dict]) -> pd.DataFrame:
    """One row per pan-cancer run (layout, backbone): where its checkpoint was trained and at
    which precision, from the checkpoints' metadata. A checkpoint written before the device
    was recorded says so rather than leaving the row out."""
    rows = []
    for (layout, backbone), meta in metas.items():
        on = meta.get("trained_on") or {}
        row = {"backbone": backbone, "layout": layout, "precision": meta.get("precision", "float32")}
        row |= {k: on.get(k) for k in DEVICE_FIELDS} if on else {"backend": "not recorded"}
        rows.append(row)
    return pd.DataFrame(rows, columns=["backbone", "layout", "precision", *DEVICE_FIELDS])


def input_checksums(files: dict[str, str], manifest_md5: dict[str, str] | None = None) -> pd.DataFrame:
    """md5 and size of every raw input; beside it the GDC manifest's md5 for that file name."""
    rows = []
    for name, path in files.items():
        p = Path(path)
        if not p.exists():
            raise InputError(p, f"raw input {name!r} is missing; the report checksums every input")
        expected = (manifest_md5 or {}).get(p.name, "")
        digest = md5sum(p)
        rows.append(
            {
                "input": name,
                "file": str(p),
                "bytes": p.stat().st_size,
                "md5": digest,
                "manifest_md5": expected,
                "matches_manifest": "" if not expected else ("yes" if expected == digest else "NO"),
            }
        )
    return pd.DataFrame(rows, columns=["input", "file", "bytes", "md5", "manifest_md5", "matches_manifest"])


def workflow_version(basedir) -> str:
    """``git describe`` of the workflow checkout, or 'unknown' (e.g. a copied release)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(basedir), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def run_date() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
