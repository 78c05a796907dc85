"""Formatting and lint cannot drift: ruff (format and lint) and snakefmt, as configured in
pyproject.toml, are clean on the whole checkout."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "format", "--check", "."],
        ["ruff", "check", "."],
        ["snakefmt", "--check", "Snakefile", "workflow/rules"],
    ],
    ids=["ruff-format", "ruff-lint", "snakefmt"],
)
def test_clean(command):
    r = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f"`{' '.join(command)}` is not clean; run it without --check:\n{r.stdout}{r.stderr}"
