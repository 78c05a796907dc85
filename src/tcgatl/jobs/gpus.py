"""How many GPUs this machine offers the workflow's jobs, for a local run's ``gpu`` cap."""

from __future__ import annotations

import os
import shutil
import subprocess


def visible_gpus(environ=os.environ) -> int:
    """GPUs the jobs may use: those CUDA_VISIBLE_DEVICES lists if it is set (empty: none), else
    those ``nvidia-smi -L`` lists, else none. No framework is imported: Snakemake calls this
    while it parses the workflow."""
    listed = environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return len([d for d in listed.split(",") if d.strip() and d.strip() != "-1"])
    out = nvidia_smi("-L")
    return sum(line.startswith("GPU ") for line in out.splitlines()) if out else 0


def nvidia_smi(*args: str) -> str | None:
    """What ``nvidia-smi *args`` prints, or None without the tool or when it fails."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(["nvidia-smi", *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None
