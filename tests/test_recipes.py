"""Every command a user is told to paste works as written: the README's recipes and each shipped
config's header command, dry-run (`-n`) from the repository root, with stub files where a recipe
needs data of one's own."""

import re
import shlex
import subprocess

import pytest
import yaml
from conftest import ROOT, SHARED, SNAKEMAKE

pytestmark = pytest.mark.e2e

RECIPES = dict(re.findall(r"```bash\n# recipe: (\S+)\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S))
HEADERS = {
    p.name: line.removeprefix("#").strip()
    for p in sorted((ROOT / "config").glob("*.yaml"))
    for line in p.read_text().splitlines()
    if re.match(r"#\s+\.venv(-gpu)?/bin/snakemake ", line) and "config/" + p.name in line
}


def _stub_own_inputs(config_path, folder):
    """Empty files at the relative input paths of a config of one's own (a dry run only checks
    that they exist)."""
    cfg = yaml.safe_load(config_path.read_text())
    specs = [*cfg.get("inputs", {}).values(), *cfg.get("extra_layers", {}).values()]
    for spec in specs:
        if spec.get("path") and not spec["path"].startswith(("/", "../")):
            (folder / spec["path"]).parent.mkdir(parents=True, exist_ok=True)
            (folder / spec["path"]).touch()


def _dry_run(script: str, tmp_path) -> subprocess.CompletedProcess:
    """``script`` with every `../<folder>` sent to tmp_path and snakemake in dry-run mode."""
    for folder in set(re.findall(r"\.\./(tcga_full|my_cohort|scale)\b", script)):
        script = script.replace(f"../{folder}", str(tmp_path / folder))
        (tmp_path / folder).mkdir(exist_ok=True)
        for cfg in re.findall(r"--configfile (\S+)", script):
            if (ROOT / cfg).exists():  # a shipped config run in that folder
                _stub_own_inputs(ROOT / cfg, tmp_path / folder)
    # The GPU install's venv (`make install GPU=1`) has the same Snakemake.
    script = re.sub(r"\.venv(-gpu)?/bin/snakemake ", f"{shlex.quote(SNAKEMAKE)} -n ", script)
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True)


def test_the_readme_has_the_recipes_users_need():
    assert set(RECIPES) == {"workstation", "slurm-cpu", "slurm-gpu", "own-data"}
    assert set(HEADERS) == {p.name for p in (ROOT / "config").glob("*.yaml")}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_readme_recipe_dry_runs(name, tmp_path):
    script = RECIPES[name]
    if name == "own-data":  # the copied config's paths are relative to the cohort folder
        script = script.replace(
            "cp config/own_data.yaml ../my_cohort/config.yaml",
            "cp config/own_data.yaml ../my_cohort/config.yaml && mkdir -p ../my_cohort/data"
            " && touch ../my_cohort/data/matrix.tsv.gz ../my_cohort/data/samples.tsv",
        )
    r = _dry_run(script, tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "train_backbone" in out and "metrics_report" in out
    if name in ("workstation", "slurm-cpu", "slurm-gpu"):
        assert "rule imagenet_weights" in out and "rule download_gdc" in out
    gpu_requests = re.findall(r"rule train_backbone:.*?resources: ([^\n]*)", out, flags=re.S)
    assert gpu_requests and all(("gpu=1" in g) == (name == "slurm-gpu") for g in gpu_requests)


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_config_header_command_dry_runs(name, tmp_path):
    if name == "brca_mini.yaml" and not SHARED.exists():
        pytest.skip("needs ../shared/data")
    r = _dry_run(HEADERS[name], tmp_path)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert "rule metrics_report" in r.stdout


def test_a_missing_own_file_does_not_suggest_a_tcga_download(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "samples.tsv").touch()  # the sheet is there, the matrix is not
    r = subprocess.run(
        [SNAKEMAKE, "-n", "--configfile", str(ROOT / "config" / "own_data.yaml"), "--directory", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "inputs.expression.path: file data/matrix.tsv.gz does not exist" in out
    assert f"Relative paths are read from the working directory, {tmp_path}" in out
    assert "gdc.cancer.gov" not in out and "path: null" not in out
