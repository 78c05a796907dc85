"""Parsing the workflow stays light: what the Snakefile and workflow/rules/common.smk import at
parse time (config validation, the demo's file registry, the job-request model, the report's
sources, the GDC manifest, the option lists) needs neither numpy, pandas nor pyarrow, nor the
deep-learning and plotting stacks. Every ``snakemake`` call (a dry run, ``--list-rules``, each
cluster job's own parse) pays for what these modules import."""

import json
import os
import subprocess
import sys

from conftest import ROOT, SNAKEMAKE

HEAVY = ("numpy", "pandas", "pyarrow", "scipy", "sklearn", "matplotlib", "tensorflow", "keras")

# What the Snakefile and common.smk import (and common.smk calls at parse time).
PARSE_TIME = [
    "tcgatl.config",
    "tcgatl.errors",
    "tcgatl.report",
    "tcgatl.report.sources",
    "tcgatl.inputs.gdc",
    "tcgatl.inputs.demo_files",
    "tcgatl.inputs.demo_params",
    "tcgatl.inputs.reference",
    "tcgatl.motlab.options",
    "tcgatl.pancancer.options",
    "tcgatl.paths",
    "tcgatl.pancancer.costs",
    "tcgatl.inputs.weights",
    "tcgatl.settings",
    "tcgatl.jobs.model",
    "tcgatl.jobs.work",
    "tcgatl.jobs.rates",
]

PARSE = """
import importlib, json, sys
for name in {modules!r}:
    importlib.import_module(name)
from tcgatl import config
from tcgatl.inputs import demo_params
from tcgatl.jobs import model, rates
model.load(), rates.load()
for path in ("config/demo.yaml", "config/config.yaml", "config/scale.yaml"):
    demo_params.volume(config.load(path)["demo"])
print(json.dumps(sorted(sys.modules)))
"""


def import_chains(stderr: str) -> dict[str, list[str]]:
    """``python -X importtime``'s report as {module: the modules whose import caused it, nearest
    first}. The report lists a module after everything it imported, indented one step less."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        name = line.split("|", 2)[2]
        entries.append((len(name) - len(name.lstrip(" ")), name.strip()))
    chains = {}
    for i, (depth, name) in enumerate(entries):
        chain, level = [], depth
        for parent_depth, parent in entries[i + 1 :]:
            if parent_depth < level:
                chain.append(parent)
                level = parent_depth
        chains[name] = chain
    return chains


def _messages(stderr: str) -> str:
    """stderr without the import-time report."""
    return "\n".join(line for line in stderr.splitlines() if not line.startswith("import time:"))[-3000:]


def heavy(modules) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def _import_alone(modules: list[str]) -> tuple[list[str], dict]:
    """Import ``modules`` (and validate the shipped configs) in a fresh interpreter: the
    modules it ends up holding, and the import chains."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", PARSE.format(modules=modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, _messages(proc.stderr)
    return json.loads(proc.stdout), import_chains(proc.stderr)


def _explain(names, chains) -> str:
    tops = [n for n in names if n.split(".")[0] in HEAVY and not heavy(chains.get(n, [])[:1])]
    return "; ".join(" <- ".join([n, *chains.get(n, [])]) for n in tops)


def test_parse_time_modules_import_no_heavy_library():
    loaded, chains = _import_alone(PARSE_TIME)
    found = heavy(loaded)
    assert not found, f"imported at parse time: {_explain(found, chains)}"


def test_parsing_the_snakefile_imports_no_heavy_library_through_tcgatl(tmp_path):
    """The real parse (``snakemake --list-rules``): no heavy module is imported because of a
    tcgatl module, and the tcgatl modules it loads, imported alone, load none either (Snakemake
    itself may import pandas, which would hide a tcgatl module that imports it too)."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--list-rules"]
        + ["--configfile", str(ROOT / "config" / "demo.yaml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, _messages(proc.stderr)
    assert "demo_data" in proc.stdout.split()
    chains = import_chains(proc.stderr)
    ours = sorted(m for m in chains if m.split(".")[0] == "tcgatl")
    through_tcgatl = [
        n for n in heavy(chains) if any(p.split(".")[0] == "tcgatl" for p in chains[n]) and not heavy(chains[n][:1])
    ]
    assert not through_tcgatl, f"imported by tcgatl at parse time: {_explain(through_tcgatl, chains)}"
    loaded, alone = _import_alone(ours)
    found = heavy(loaded)
    assert not found, f"the parse-time modules {ours} import {_explain(found, alone)}"
    assert "tcgatl.config" in ours and "tcgatl.inputs.demo_files" in ours


def test_import_chains_name_the_importer():
    report = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:        10 |         10 |     numpy.core",
            "import time:        10 |         20 |   numpy",
            "import time:        10 |         30 | tcgatl.inputs.demo",
            "import time:        10 |         10 | json",
        ]
    )
    chains = import_chains(report)
    assert chains["numpy.core"] == ["numpy", "tcgatl.inputs.demo"] and chains["json"] == []
