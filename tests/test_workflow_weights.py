"""ImageNet weights as a workflow input: fetched first, on the submitting node, or listed up
front for offline sites (the download itself: tests/test_weights.py)."""

import socket
import time

import pytest
import yaml
from conftest import ROOT, run_snakemake

from tcgatl.pancancer.options import BACKBONES

pytestmark = pytest.mark.e2e


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_switch_lists_every_missing_weights_file_before_any_job(tmp_path):
    own = tmp_path / "offline.yaml"
    own.write_text(yaml.safe_dump({"pancancer": {"weights_download": False, "weights_dir": str(tmp_path / "w")}}))
    r = run_snakemake(["-n", "--configfile", str(ROOT / "config" / "config.yaml"), str(own)], tmp_path, timeout=300)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "4 ImageNet weights file(s) missing" in out and f"Place each file in {tmp_path / 'w'}/" in out
    for b in BACKBONES.values():
        assert b.weights_file in out and b.weights_url() in out
    assert not (tmp_path / "results").exists()


def test_unreachable_weights_host_fails_within_seconds_before_any_data_stage(tmp_path):
    own = tmp_path / "weights.yaml"
    own.write_text(
        yaml.safe_dump(
            {
                "pancancer": {
                    "backbones": ["ResNet50"],
                    "weights": "imagenet",
                    "weights_dir": str(tmp_path / "w"),
                    "weights_url": f"http://127.0.0.1:{_closed_port()}",
                },
                "gdc": {"retries": 2, "backoff": 0},
            }
        )
    )
    start = time.monotonic()
    r = run_snakemake(["--cores", "1", "--configfile", str(ROOT / "config" / "demo.yaml"), str(own)], tmp_path)
    elapsed = time.monotonic() - start
    assert r.returncode != 0
    log = (tmp_path / "results/logs/download" / f"{BACKBONES['ResNet50'].weights_file}.log").read_text()
    assert "(ResNet50 ImageNet weights)" in log and "failed after 2 attempt(s)" in log and "cannot reach" in log
    assert elapsed < 90, elapsed
    assert not (tmp_path / "results" / "demo").exists()  # no data stage ran
    assert not (tmp_path / "w").exists() or not any((tmp_path / "w").iterdir())
