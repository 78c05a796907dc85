"""tcgatl-project (tcgatl.tools.projection, tcgatl.tools.timing): one tiny timing run end to
end, timed through the training code itself, phase 2 as ``pancancer.trainable`` says."""

import json
import math

import pytest
import yaml
from conftest import ROOT

from tcgatl import config
from tcgatl.pancancer import training
from tcgatl.pancancer.costs import TRAIN_RATES
from tcgatl.tools import projection, timing

PHASES = ("cache_activations", "pooled_features", "fit_head", "finetune")


@pytest.fixture
def calls(monkeypatch):
    """The training functions the timing calls, in order, and the input phase 2 trained on."""
    seen = []

    def spy(name):
        real = getattr(training, name)

        def wrapper(*args, **kwargs):
            if name == "_finetune":
                seen.append(f"_finetune on {args[8] if len(args) > 8 else kwargs['on']}")
            else:
                seen.append(name)
            return real(*args, **kwargs)

        return wrapper

    for name in (*PHASES, "_finetune"):
        monkeypatch.setattr(training, name, spy(name))
    return seen


def test_hms():
    assert projection._hms(3723.4) == "1:02:03" and projection._hms(59.6) == "0:01:00"
    assert projection._hms(None) == "" and projection._hms(math.inf) == ""


@pytest.mark.slow
def test_tiny_timing_end_to_end(tmp_path, capsys, calls):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["pancancer"] |= {"image_size": 32, "backbones": ["ResNet50"], "layouts": ["alphabetical", "similarity"]}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "projection.json"
    argv = ["--configfile", str(path), "--samples", "200", "--classes", "4", "--genes", "64"]
    argv += ["--batches", "1", "--batch-size", "4", "--startup", "0", "--json", str(out)]
    assert projection.main(argv) == 0
    text = capsys.readouterr().out
    doc = json.loads(out.read_text())
    (r,) = doc["rates"]
    assert r["grid"] == [8, 8] and r["image_size"] == 32 and r["batch_size"] == 4
    for key in ("frozen_ips", "tail_ips", "head_train_ips", "head_val_ips", "finetune_train_ips", "finetune_val_ips"):
        assert 0 < r[key] < math.inf, key
    assert 0 < r["forward_ips"] < math.inf and 0 < r["ig_eps"] < math.inf
    assert r["activation_shape"] == [1, 1, 2048] and r["cache_bytes_per_image"] == 4 * 2048  # 32 px: conv5 is 1x1
    assert r["trainable"] == "last_block"
    rules = [(x["backbone"], x["rule"]) for x in doc["projection"]]
    assert rules == [
        ("ResNet50", rule) for rule in ("train_backbone", "evaluate_backbone", "integrated_gradients", "total")
    ]
    assert all(x["jobs"] == 2 for x in doc["projection"][:3])  # two layouts
    assert all(0 < x["wall_s"] < math.inf for x in doc["projection"])
    for rule in ("train_backbone", "evaluate_backbone", "integrated_gradients", "frozen_pass", "finetune_train"):
        assert rule in text
    # timed through the training's own steps (twice the warmed-up passes, one fit per phase)
    assert calls == ["cache_activations"] * 2 + ["pooled_features"] * 2 + ["fit_head", "finetune", "_finetune on cache"]


@pytest.mark.slow
def test_against_projects_other_settings_in_the_same_run(tmp_path, capsys):
    """The former defaults beside the config's: the IG counts follow each config (the adaptive
    rule at its cap, the trapezoid at its steps), both timed in this run."""
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["pancancer"] |= {"image_size": 32, "backbones": ["ResNet50"], "precision": "mixed_bfloat16"}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "projection.json"
    argv = ["--configfile", str(path), "--samples", "200", "--classes", "4", "--genes", "64", "--batches", "1"]
    argv += ["--batch-size", "4", "--startup", "0", "--json", str(out), "--against", "pancancer.precision=float32"]
    argv += ["ig.method=trapezoid", "ig.steps=64"]
    assert projection.main(argv) == 0
    text = capsys.readouterr().out
    doc = json.loads(out.read_text())
    ours = {r["rule"]: r for r in doc["projection"]}
    theirs = {r["rule"]: r for r in doc["against"]["projection"]}
    assert "24 points (adaptive, at most)" in ours["integrated_gradients"]["work"]
    assert "65 points (trapezoid)" in theirs["integrated_gradients"]["work"]
    assert doc["rates"][0]["precision"] == "mixed_bfloat16"
    ratio = sum(r["cpu_h"] for r in ours.values() if r["rule"] != "total") / sum(
        r["cpu_h"] for r in theirs.values() if r["rule"] != "total"
    )
    assert f"ratio {ratio:.3f}" in text and "Against pancancer.precision=float32 ig.method=trapezoid" in text
    assert projection.main(argv[:-3] + ["ig.nosuchkey=1"]) == 2
    assert projection.main(argv[:-3] + ["precision=float32"]) == 2
    assert "expected SECTION.KEY=VALUE" in capsys.readouterr().err


@pytest.mark.slow
def test_trainable_all_times_phase_2_on_the_gene_images(calls):
    pc = config.load(ROOT / "config" / "config.yaml")["pancancer"] | {"batch_size": 4, "trainable": "all"}
    cfg = training.TrainConfig.from_config(pc, seed=1)
    r = timing.time_backbone("ResNet50", (8, 8), 3, cfg, size=32, eval_batch_size=4, ig_batch_size=4, batches=1)
    assert calls[-1] == "_finetune on images"
    assert r.trainable == "all" and r.batch_size == 4
    assert 0 < r.finetune_train_ips < math.inf and 0 < r.finetune_val_ips < math.inf
    assert set(r.trace_s) == {*TRAIN_RATES, "forward", "ig"}  # every step warmed up apart
