"""The workflow through the SLURM profile on a real single-node cluster (tests/slurm_cluster.py).

Needs root (installs Debian's slurmctld/slurmd/slurm-client/munge if missing and starts them
without systemd). Skipped elsewhere, except in CI (`CI=true`), where a cluster that cannot be
started is a failure.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SNAKEMAKE
from slurm_cluster import ClusterBusy, ClusterError, SlurmCluster, can_set_up, job_info
from test_workflow import GDC_IDS, _gdc_setup

# Runs Snakemake end to end: left out of `make test-fast`.
pytestmark = pytest.mark.e2e

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DEMO = str(ROOT / "config" / "demo.yaml")
PROFILE = str(ROOT / "workflow" / "profiles" / "slurm")
WORKSTATION = str(ROOT / "workflow" / "profiles" / "workstation")
# Small demo; the training job (when it runs) on tiny images for one epoch per phase.
TINY = {
    "demo": {
        "n_genes": 600,
        "patients_per_type": 30,
        "brca_patients": 160,
        "n_cpg": 300,
        "n_mirna": 80,
        "signature_size": 40,
    },
    "pancancer": {
        "layouts": ["alphabetical"],
        "backbones": ["ResNet50"],
        "image_size": 32,
        "head_epochs": 1,
        "finetune_epochs": 1,
        "bootstrap": 50,
    },
    "resources": {"gpu": True},
}
RUN = "results/pancancer/alphabetical/ResNet50"
# A representative part of the demo: data stage, split, one layout's images, the baseline,
# training and evaluating one backbone.
TARGETS = [
    "results/pancancer/baseline/metrics.json",
    "results/pancancer/alphabetical/images/index.tsv",
    f"{RUN}/model.keras",
    f"{RUN}/metrics.json",
    "results/pancancer/de/genes.parquet",  # the DE ranking the IG job reads (its curves' DE order)
]
# GPU rules, checked with and without resources.gpu (held in the queue, never run). IG first:
# re-running train_backbone removes the checkpoint that IG reads.
GPU_CHECKS = [
    ("integrated_gradients", f"{RUN}/ig/top_genes.tsv", f"{RUN.replace('results/', '')}/ig.log"),
    ("train_backbone", f"{RUN}/model.keras", f"{RUN.replace('results/', '')}/train.log"),
]
GPU_RULES = {"train_backbone", "evaluate_backbone", "integrated_gradients"}
# Fast polling for the test (the profile keeps the plugin's 40 s); keep SLURM logs to check them.
FAST = [
    "--slurm-init-seconds-before-status-checks",
    "3",
    "--seconds-between-status-checks",
    "3",
    "--slurm-keep-successful-logs",
]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")


def _env():
    """This venv's bin first on PATH: sbatch exports the environment, so jobs run the same Python."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def snakemake(args, cwd, timeout=900):
    cmd = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(cwd), *args]
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


def submitted(output):
    """(snakemake job id, SLURM job id, SLURM log) of every job the plugin submitted."""
    return SUBMITTED.findall(output)


@pytest.fixture(scope="module")
def cluster():
    reason = can_set_up()
    if reason:
        if IN_CI:
            pytest.fail(f"CI: the SLURM test cluster cannot be started: {reason}")
        pytest.skip(f"SLURM test cluster: {reason}")
    c = SlurmCluster()
    try:
        c.start()
    except ClusterBusy as exc:
        if IN_CI:
            pytest.fail(f"CI: {exc}")
        pytest.skip(f"SLURM test cluster: {exc}")
    except ClusterError as exc:
        pytest.fail(f"the SLURM test cluster did not start: {exc}")
    yield c
    c.stop()


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("slurm_cfg") / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return ["--configfile", DEMO, str(path)]


@pytest.fixture(scope="module")
def slurm_run(cluster, tiny_config, tmp_path_factory):
    wd = tmp_path_factory.mktemp("slurm_run")
    t0 = time.monotonic()
    r = snakemake([*TARGETS, "--profile", PROFILE, *FAST, *tiny_config], wd)
    out = r.stdout + r.stderr
    (wd / "snakemake.out").write_text(out)
    assert r.returncode == 0, out[-5000:] + "\n" + cluster.logs()
    print(f"SLURM run: {len(submitted(out))} sbatch jobs in {time.monotonic() - t0:.0f} s")
    return wd, out


@pytest.fixture(scope="module")
def local_run(tiny_config, tmp_path_factory):
    wd = tmp_path_factory.mktemp("local_run")
    r = snakemake([*TARGETS, "--profile", WORKSTATION, "--cores", "2", *tiny_config], wd)
    assert r.returncode == 0, r.stderr[-3000:]
    return wd


def test_every_job_went_through_sbatch(slurm_run):
    wd, out = slurm_run
    jobs = submitted(out)
    ran = re.findall(r"^(?:local)?rule \w+:\n(?:    .*\n)*?    jobid: (\d+)$", out, re.M)
    assert jobs and sorted(sm_id for sm_id, _, _ in jobs) == sorted(ran)  # no job ran outside SLURM
    rules = {}
    for sm_id, slurm_id, log in jobs:
        info = job_info(slurm_id)  # slurmctld keeps finished jobs for MinJobAge
        rule = re.match(r"rule_([a-z_]+?)(?:_wildcards_.*)?$", info["Comment"]).group(1)
        rules[rule] = info
        assert info["JobState"] == "COMPLETED", (rule, info["JobState"])
        # The SLURM log names the job id and holds the job's own snakemake run.
        assert Path(log).name == f"{slurm_id}.log" and f"rule {rule}:" in Path(log).read_text()
        # Resources from the rule (mem_mb, threads) and the gpu switch reached sbatch.
        block = re.search(rf"rule {rule}:\n(?:    .*\n)*?    jobid: {sm_id}\n(?:    .*\n)*?    resources: (.*)", out)
        res = dict(kv.split("=", 1) for kv in block.group(1).split(", "))
        assert info["MinMemoryNode"] == f"{res['mem_mb']}M", rule
        assert _minutes(info["TimeLimit"]) == int(res["runtime"]), rule
        threads = re.search(rf"jobid: {sm_id}\n(?:    .*\n)*?    threads: (\d+)", out)
        assert int(info["NumCPUs"]) == (int(threads.group(1)) if threads else 1), rule
        asks_gpu = "gpu:1" in info.get("TresPerJob", "")
        assert asks_gpu == (rule in GPU_RULES), rule
    expected = {
        "demo_data",
        "clinical_table",
        "layer_features",
        "pancancer_split",
        "gene_layout",
        "gene_images",
        "baseline_logreg",
        "train_backbone",
        "evaluate_backbone",
    }
    assert expected <= set(rules), sorted(rules)
    # The rules' own logs are written as in a local run.
    assert (wd / "results" / "logs" / "pancancer" / "baseline.log").exists()


def _minutes(limit):
    """SLURM's [D-]HH:MM:SS as minutes."""
    days, _, hms = limit.rpartition("-")
    h, m, _ = hms.split(":")
    return (int(days or 0) * 24 + int(h)) * 60 + int(m)


def _frame(path):
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, sep="\t")


def test_outputs_match_a_local_run(slurm_run, local_run):
    wd, _ = slurm_run
    pc = Path("results") / "pancancer"
    for rel in [
        pc / "split.tsv",
        pc / "split_dropped_classes.tsv",
        pc / "alphabetical" / "images" / "index.tsv",
        pc / "baseline" / "metrics.tsv",
        pc / "baseline" / "per_class.tsv",
        pc / "baseline" / "confusion.tsv",
    ]:
        assert (wd / rel).read_bytes() == (local_run / rel).read_bytes(), rel
    for rel in [
        pc / "alphabetical" / "layout.parquet",
        pc / "alphabetical" / "scaling.parquet",
        pc / "baseline" / "predictions.parquet",
        Path("results") / "features" / "mrna.parquet",
    ]:
        pd.testing.assert_frame_equal(_frame(wd / rel), _frame(local_run / rel), check_exact=True)
    for name in ("train", "val", "test"):
        rel = pc / "alphabetical" / "images" / f"{name}.npy"
        assert np.array_equal(np.load(wd / rel), np.load(local_run / rel)), rel
    a, b = (json.loads((d / pc / "baseline" / "metrics.json").read_text()) for d in (wd, local_run))
    assert a == b
    # Training: the same seeded run, epoch by epoch (but for the time it took), same test metrics.
    run = Path(RUN)
    for rel in [run / "metrics.tsv", run / "confusion.tsv"]:
        assert (wd / rel).read_bytes() == (local_run / rel).read_bytes(), rel
    assert json.loads((wd / run / "checkpoint.json").read_text()) == json.loads(
        (local_run / run / "checkpoint.json").read_text()
    )
    a, b = (_frame(d / run / "history.tsv").drop(columns="seconds") for d in (wd, local_run))
    pd.testing.assert_frame_equal(a, b, rtol=1e-5)


def _start(args, cwd):
    """snakemake in the background (stdout and stderr together)."""
    return subprocess.Popen(
        [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(cwd), *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(proc):
    """Interrupt snakemake if it still runs (it cancels its SLURM jobs) and collect its output."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=120)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def _wait_for_job(rule, state, workdir, timeout=120):
    """SLURM id of the first job of ``rule`` run from ``workdir`` that is in ``state``
    (squeue; the plugin names the rule in the job's comment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(["squeue", "-h", "-o", "%i|%T|%Z|%k"], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            jobid, st, wd, comment = line.split("|", 3)
            if st == state and Path(wd) == Path(workdir) and comment.startswith(f"rule_{rule}"):
                return jobid
        time.sleep(1)
    raise AssertionError(f"no {state} job of rule {rule} in squeue after {timeout} s")


@pytest.mark.parametrize("gpu", [True, False], ids=["gpu", "cpu_only"])
@pytest.mark.parametrize("rule,target,log", GPU_CHECKS, ids=[r for r, _, _ in GPU_CHECKS])
def test_gpu_switch_and_a_cancelled_job_is_reported_with_its_logs(
    cluster, slurm_run, tiny_config, tmp_path, rule, target, log, gpu
):
    """Training and IG jobs ask SLURM for a GPU only with resources.gpu: true. The job is held
    in a DOWN partition, checked with scontrol, cancelled, and Snakemake's report names its logs."""
    wd, _ = slurm_run
    (tmp_path / "gpu.yaml").write_text(yaml.safe_dump({"resources": {"gpu": gpu}}))
    subprocess.run(["scontrol", "update", f"PartitionName={cluster.partition}", "State=DOWN"], check=True)
    proc = _start(
        [
            target,
            "--forcerun",
            target,
            "--profile",
            PROFILE,
            *FAST,
            "--retries",
            "0",
            *tiny_config,
            str(tmp_path / "gpu.yaml"),
        ],
        wd,
    )
    try:
        jobid = _wait_for_job(rule, "PENDING", wd)
        info = job_info(jobid)
        assert ("gpu:1" in info.get("TresPerJob", "")) == gpu, info.get("TresPerJob")
        subprocess.run(["scancel", jobid], check=True)
        proc.wait(timeout=300)
    finally:
        out = _stop(proc)
        subprocess.run(["scontrol", "update", f"PartitionName={cluster.partition}", "State=UP"], check=True)
    assert proc.returncode != 0
    assert f"SLURM-job '{jobid}' failed, SLURM status is: 'CANCELLED'" in out, out[-3000:]
    # Both the rule's log and the job's SLURM log are named.
    assert f"log: results/logs/{log}, " in out, out[-3000:]
    assert f"/.snakemake/slurm_logs/rule_{rule}/alphabetical_ResNet50/{jobid}.log" in out, out[-3000:]


def test_downloads_run_on_the_submitting_node_and_a_killed_one_is_retried(cluster, demo_raw, tmp_path):
    """Under the SLURM profile a download is a local job (compute nodes often have no internet):
    it never goes through sbatch. Killed while it runs, it is retried (rule download_gdc has
    `retries`) and the retry completes."""
    paths, _ = demo_raw
    name = paths["expression"].name
    server = _gdc_setup(tmp_path, demo_raw, faults={GDC_IDS["expression"]: ["stall"]})
    with server:
        proc = _start(
            [f"results/raw/{name}", "--profile", PROFILE, *FAST, "--configfile", str(tmp_path / "gdc.yaml")], tmp_path
        )
        try:
            deadline = time.monotonic() + 120
            while not server.requests and time.monotonic() < deadline:  # the job is inside its download
                time.sleep(0.5)
            assert server.requests, "the download job never reached the server"
            # The job's script runs on this node, as a child of snakemake: kill it outright.
            killed = subprocess.run(["pkill", "-9", "-f", "download_gdc.py"], check=False)
            assert killed.returncode == 0, "no local download process to kill"
            proc.wait(timeout=300)
        finally:
            server.release()
            out = _stop(proc)
    assert "localrule download_gdc" in out, out[-3000:]
    assert submitted(out) == [], out[-3000:]  # nothing went through sbatch
    assert proc.returncode == 0, out[-3000:]
    assert len(server.requests) >= 2  # the killed attempt, then the retry
    assert (tmp_path / "results" / "raw" / name).read_bytes() == paths["expression"].read_bytes()
