import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = Path(os.environ.get("TCGATL_SHARED_DATA", ROOT.parent / "shared" / "data"))
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory):
    """Demo raw files with small settings, generated once for the session."""
    from tcgatl import demo

    out = tmp_path_factory.mktemp("demo_raw")
    params = demo.DemoParams(n_genes=600, patients_per_type=30, brca_patients=160, n_cpg=300, n_mirna=80)
    paths = demo.generate(out, params)
    return paths, params


def run_snakemake(args, cwd, timeout=900):
    """Run the workflow's Snakefile in ``cwd``; returns the CompletedProcess."""
    cmd = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(cwd), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


needs_shared = pytest.mark.skipif(not SHARED.exists(), reason=f"real TCGA data not found at {SHARED}")
