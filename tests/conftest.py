import os
import subprocess
import sys
from pathlib import Path

import pytest

# Before any test module imports TensorFlow: its C++ start-up messages stay out of the output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = Path(os.environ.get("TCGATL_SHARED_DATA", ROOT.parent / "shared" / "data"))
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory):
    """Demo raw files with small settings, generated once for the session."""
    from configured import demo_params

    from tcgatl.inputs import demo

    out = tmp_path_factory.mktemp("demo_raw")
    # The divergent regime's frequent AA events keep a 160-patient BRCA cohort scorable.
    params = demo_params(
        n_genes=600, patients_per_type=30, brca_patients=160, n_cpg=300, n_mirna=80, regime="divergent"
    )
    paths = demo.generate(out, params)
    return paths, params


def run_snakemake(args, cwd, timeout=900):
    """Run the workflow's Snakefile in ``cwd``; returns the CompletedProcess."""
    cmd = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(cwd), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def chromium():
    """The headless-Chromium harness (tests/browser.py), Chromium installed once per session.
    Skipped where it cannot be set up, except in CI (`CI=true`), where that is a failure."""
    import browser

    reason = browser.can_set_up()
    if reason is None:
        try:
            browser.ensure_chromium()
        except browser.BrowserError as exc:
            reason = str(exc)
    if reason:
        if IN_CI:
            pytest.fail(f"CI: headless Chromium cannot be set up: {reason}")
        pytest.skip(f"headless Chromium: {reason}")
    return browser


needs_shared = pytest.mark.skipif(not SHARED.exists(), reason=f"real TCGA data not found at {SHARED}")
