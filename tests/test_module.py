"""The workflow used as a Snakemake module from a user's own Snakefile in another folder
(docs/module.md): paths inside the workflow must resolve against this checkout,
while results land in the user's working directory."""

import shutil
import subprocess

import pandas as pd
import pytest
from conftest import ROOT, SNAKEMAKE, run_snakemake
from test_workflow import DEMO, STAGE_RULES

# Runs Snakemake end to end: left out of `make test-fast`.
pytestmark = pytest.mark.e2e

# The README's snippet. The check after the module fails if the workflow filled its defaults
# into the config object the user passed (it validates a copy).
USER_SNAKEFILE = f"""\
configfile: "config/config.yaml"


module tcgatl:
    snakefile:
        "{ROOT / "Snakefile"}"
    config:
        config


use rule * from tcgatl as tcgatl_*


if "gdc" in config:
    raise ValueError("the module filled its defaults into the user's config")


rule all:
    default_target: True
    input:
        rules.tcgatl_all.input,
"""

# What `snakedeploy deploy-workflow <checkout> <dest>` writes to <dest>/workflow/Snakefile
# (snakedeploy 0.17.1's template), with the module path made absolute: snakedeploy writes a
# bare "Snakefile" for a local source, which names the deployed file itself (README).
DEPLOYED_SNAKEFILE = f"""\
configfile: "config/config.yaml"


module tcgatl:
    snakefile:
        "{ROOT / "Snakefile"}"
    config:
        config


use rule * from tcgatl
"""


def _user_dir(tmp_path, config):
    """A folder outside the checkout holding the user's Snakefile and config/config.yaml."""
    user = tmp_path / "user"
    (user / "config").mkdir(parents=True)
    shutil.copy(config, user / "config" / "config.yaml")
    (user / "Snakefile").write_text(USER_SNAKEFILE)
    return user


def _run_in(folder, args, timeout=300):
    # No -s and no --directory: Snakemake runs from the user's folder as a user would (it finds
    # Snakefile or workflow/Snakefile there), so any path resolved against the working
    # directory instead of the checkout fails here.
    return subprocess.run([SNAKEMAKE, *args], cwd=folder, capture_output=True, text=True, timeout=timeout)


def _job_counts(stdout):
    """{rule: count} of a dry run's job stats table."""
    lines = stdout[stdout.index("Job stats:") :].splitlines()[3:]
    rows = [line.split() for line in lines[: next(i for i, line in enumerate(lines) if line.startswith("total"))]]
    return {rule: int(n) for rule, n in rows}


@pytest.mark.parametrize("config", [DEMO, str(ROOT / "config" / "config.yaml")], ids=["demo", "full"])
def test_module_dry_run_has_every_stage_with_prefix(tmp_path, config):
    user = _user_dir(tmp_path, config)
    r = _run_in(user, ["-n", "--cores", "1"])
    assert r.returncode == 0, r.stderr[-3000:]
    demo = config == DEMO
    for rule in STAGE_RULES:
        if rule == "demo_data" and not demo:
            continue
        assert f"rule tcgatl_{rule}:" in r.stdout, rule
        assert f"rule {rule}:" not in r.stdout, rule
    # the full config downloads by the checkout's resources/gdc_manifest.tsv
    assert ("rule tcgatl_download_gdc:" in r.stdout) is not demo
    assert "rule all:" in r.stdout
    assert not (user / "results").exists()


def test_module_runs_a_data_target_like_the_workflow(tmp_path):
    """demo_data and clinical_table through the module give the direct run's table."""
    target = "results/clinical/cdr.parquet"
    user = _user_dir(tmp_path, DEMO)
    r = _run_in(user, [target, "--cores", "1"])
    assert r.returncode == 0, r.stderr[-3000:]
    log = r.stdout + r.stderr
    assert "(Rule: tcgatl_demo_data)" in log and "(Rule: tcgatl_clinical_table)" in log
    assert (user / "results" / "demo" / "raw" / "TCGA-CDR-SupplementalTableS1.xlsx").exists()
    assert (user / "results" / "logs" / "clinical_table.log").exists()

    direct = tmp_path / "direct"
    direct.mkdir()
    r = run_snakemake([target, "--cores", "1", "--configfile", DEMO], direct, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    pd.testing.assert_frame_equal(pd.read_parquet(user / target), pd.read_parquet(direct / target))


def test_snakedeploy_layout_dry_runs(tmp_path):
    """A deployment in snakedeploy's layout: config/ copied from the checkout, the module's
    rules unprefixed, the full config by default and the demo replacing it."""
    dest = tmp_path / "deployed"
    shutil.copytree(ROOT / "config", dest / "config")
    (dest / "workflow").mkdir()
    (dest / "workflow" / "Snakefile").write_text(DEPLOYED_SNAKEFILE)
    full = _run_in(dest, ["-n", "--cores", "1"])
    assert full.returncode == 0, full.stderr[-3000:]
    assert "rule download_gdc:" in full.stdout and "rule demo_data:" not in full.stdout
    # The deployed Snakefile always loads config/config.yaml; --replace-workflow-config makes
    # demo.yaml replace it rather than be merged over it (README), so the DAG is the direct
    # demo run's, job for job
    demo = _run_in(dest, ["-n", "--cores", "1", "--configfile", "config/demo.yaml", "--replace-workflow-config"])
    assert demo.returncode == 0, demo.stderr[-3000:]
    (tmp_path / "direct").mkdir()
    direct = run_snakemake(["-n", "--cores", "1", "--configfile", DEMO], tmp_path / "direct", timeout=300)
    assert direct.returncode == 0, direct.stderr[-3000:]
    assert _job_counts(demo.stdout) == _job_counts(direct.stdout)
    assert set(STAGE_RULES) <= set(_job_counts(demo.stdout))
