"""Job requests (tcgatl.jobs): what each job asks the scheduler for grows with its real inputs,
its settings and Snakemake's retry attempt; the fit covers the jobs it is fitted on; a run's
jobs are read back beside their benchmarks."""

import dataclasses
import json
import types

import numpy as np
import pandas as pd
import pytest
import yaml

from tcgatl import config as config_mod
from tcgatl.jobs import model, rates, record, work
from tcgatl.pancancer.costs import Rates
from tcgatl.tools import fit_requests, runlog


def _config(**pancancer):
    cfg = config_mod.defaults()
    cfg["pancancer"].update(pancancer)
    return cfg


def _rates(backbone="ResNet50", size=224, scale=1.0, **kw):
    base = dict(
        backbone=backbone,
        image_size=size,
        grid=(16, 16),
        batch_size=32,
        eval_batch_size=64,
        ig_batch_size=32,
        threads=2,
        activation_shape=(size // 16, size // 16, 1024),
        feature_dim=2048,
        frozen_ips=16.0 / scale,
        tail_ips=200.0 / scale,
        head_train_ips=5000.0,
        head_val_ips=9000.0,
        finetune_train_ips=90.0 / scale,
        finetune_val_ips=300.0 / scale,
        forward_ips=20.0 / scale,
        ig_eps=8.0 / scale,
        build_s=3.0,
        save_s=1.0,
        load_s=2.0,
        trainable="last_block",
    )
    return Rates(**(base | kw))


def _rates_file(path, *all_rates, startup=10.0):
    doc = {
        "startup_s": startup,
        "bootstrap_s_per_resample": 0.001,
        "rates": [dataclasses.asdict(r) for r in all_rates],
    }
    path.write_text(json.dumps(doc))
    return str(path)


# ---- model ---------------------------------------------------------------------------------


def test_shipped_coefficients_cover_every_rule_of_the_workflow():
    """Every rule (and its cross-validation copy) has coefficients for the three resources, with
    the machine they were measured on and margins of at least 1."""
    c = model.load()
    assert set(work.MEASURES) == set(c.rules)
    assert c.measured and all(m >= 1 for m in c.margin.values()) and c.retry_growth > 1
    assert model.rule_key("cv_train_backbone") == "train_backbone"


def test_request_grows_with_the_work_and_with_each_attempt():
    c = model.load()
    small = {"input_mb": 1.0, "cells_m": 1.0, "similarity_genes2_m": 1.0}
    large = {"input_mb": 1000.0, "cells_m": 200.0, "similarity_genes2_m": 421.0}
    a, b = c.request("gene_layout", small), c.request("gene_layout", large)
    assert b["mem_mb"] > a["mem_mb"] and b["runtime"] >= a["runtime"] and b["disk_mb"] >= a["disk_mb"]
    first, second, third = (c.request("gene_layout", large, attempt) for attempt in (1, 2, 3))
    for key in ("runtime", "mem_mb", "disk_mb"):
        assert third[key] > second[key] > first[key]
    assert second["mem_mb"] == pytest.approx(first["mem_mb"] * c.retry_growth, abs=1)


def test_request_has_a_floor_and_a_margin():
    c = model.load()
    tiny = c.request("pancancer_split", {"input_mb": 0.0})
    assert tiny["runtime"] * 60 >= c.floor["runtime_s"] and tiny["mem_mb"] >= c.floor["mem_mb"]
    job = {"input_mb": 5000.0}
    need = c.need("layer_features", "mem_mb", job)
    assert c.request("layer_features", job)["mem_mb"] >= need * c.margin["mem_mb"]


def test_a_backbone_without_its_own_coefficient_gets_the_largest(tmp_path):
    doc = yaml.safe_load(model.SHIPPED.read_text())
    doc["rules"]["evaluate_backbone"]["mem_mb"]["base"] = {"ResNet50": 1000, "VGG19": 3000}
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(doc))
    c = model.load(str(f))
    job = {"projected_s": 10.0, "batch_mpx": 0.0, "mapped_mb": 0.0}
    assert c.need("evaluate_backbone", "mem_mb", job | {"backbone": "ResNet50"}) == 1000
    assert c.need("evaluate_backbone", "mem_mb", job | {"backbone": "Xception"}) == 3000


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("margin"), "missing key 'margin'"),
        (lambda d: d["rules"]["gene_images"]["mem_mb"].update(cells_m=-1), "gene_images mem_mb cells_m"),
        (lambda d: d["rules"]["de_ranking"].pop("disk_mb"), "rule de_ranking has no disk_mb"),
        (lambda d: d["margin"].update(runtime_s=0.5), "margin of runtime_s must be >= 1"),
    ],
)
def test_bad_coefficients_file_is_refused_with_the_problem(tmp_path, change, message):
    doc = yaml.safe_load(model.SHIPPED.read_text())
    change(doc)
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="bad.yaml") as exc:
        model.load(str(f))
    assert message in str(exc.value)


# ---- rates ---------------------------------------------------------------------------------


def test_rates_between_two_timed_sizes_are_linear_in_the_pixels(tmp_path):
    small, large = _rates(size=64, scale=0.25), _rates(size=224)
    timed = rates.load((_rates_file(tmp_path / "r.json", small, large),))
    assert timed.at("ResNet50", 224) == large
    mid = timed.at("ResNet50", 160)
    t = (160**2 - 64**2) / (224**2 - 64**2)
    expect = 1 / small.frozen_ips + t * (1 / large.frozen_ips - 1 / small.frozen_ips)
    assert 1 / mid.frozen_ips == pytest.approx(expect)
    assert 1 / mid.ig_eps > 1 / large.ig_eps * (160 / 224) ** 2  # a batch costs more than its pixels
    # Beyond the range: extrapolated upwards; below it: never cheaper than the smallest timing.
    assert timed.at("ResNet50", 299).frozen_ips < large.frozen_ips
    assert timed.at("ResNet50", 32).frozen_ips == pytest.approx(small.frozen_ips)
    assert timed.at("ResNet50", 112).activation_shape == (7, 7, 1024)


def test_rates_timed_at_one_size_scale_with_the_pixels_above_it(tmp_path):
    timed = rates.load((_rates_file(tmp_path / "one.json", _rates(size=112)),))
    assert 1 / timed.at("ResNet50", 224).ig_eps == pytest.approx(4 / _rates(size=112).ig_eps)
    assert timed.at("ResNet50", 56).ig_eps == pytest.approx(_rates(size=112).ig_eps)
    with pytest.raises(KeyError, match="no timing of VGG19"):
        timed.at("VGG19", 224)


def test_shipped_rates_time_every_backbone_at_two_sizes():
    from tcgatl.pancancer.options import BACKBONES

    timed = rates.load()
    for b in BACKBONES:
        sizes = sorted(r.image_size for r in timed.rates if r.backbone == b)
        assert len(sizes) >= 2 and sizes[-1] >= 224, (b, sizes)
        assert timed.at(b, 224).frozen_ips < timed.at(b, sizes[0]).frozen_ips


def test_not_a_rates_file_is_named(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("{}")
    with pytest.raises(ValueError, match="x.json is not a tcgatl-project --json file"):
        rates.load((str(f),))


# ---- work ----------------------------------------------------------------------------------


def _matrix(path, rows, cols):
    df = pd.DataFrame(np.ones((rows, cols), np.float32), columns=[f"g{i}" for i in range(cols)])
    df.to_parquet(path)
    return str(path)


def test_layout_work_is_the_matrix_shape_and_genes_squared_for_similarity(tmp_path):
    m = _matrix(tmp_path / "m.parquet", 30, 50)
    rows, cols = work.matrix_shape(m)
    inp = {"matrix": m, "split": m}
    sim = work.measure("gene_layout", inp, types.SimpleNamespace(layout="similarity"), _config())
    alpha = work.measure("cv_gene_layout", inp, types.SimpleNamespace(layout="alphabetical"), _config())
    assert sim["cells_m"] == alpha["cells_m"] == rows * cols / 1e6
    assert sim["similarity_genes2_m"] == cols**2 / 1e6 and alpha["similarity_genes2_m"] == 0


def test_work_of_a_job_whose_input_is_not_there_yet_names_it(tmp_path):
    missing = str(tmp_path / "later.parquet")
    with pytest.raises(FileNotFoundError) as exc:
        work.measure("gene_images", {"matrix": missing}, types.SimpleNamespace(), _config())
    assert exc.value.filename == missing  # Snakemake then shows <TBD> until the file exists


def _images(tmp_path, n_train, n_val, per_class_test):
    d = tmp_path / f"img{n_train}"
    d.mkdir()
    for part, n in (("train", n_train), ("val", n_val), ("test", sum(per_class_test))):
        np.save(d / f"{part}.npy", np.zeros((n, 8, 8, 1), np.float32))
    labels = [f"T{c}" for c, n in enumerate(per_class_test) for _ in range(n)]
    pd.DataFrame({"label": labels, "split": "test"}).to_csv(d / "index.tsv", sep="\t", index=False)
    return {p: str(d / f"{p}.npy") for p in ("train", "val", "test")} | {"index": str(d / "index.tsv")}


def test_tensorflow_work_grows_with_images_epochs_size_and_the_ig_cap(tmp_path):
    timed = _rates_file(tmp_path / "r.json", _rates(size=64, scale=0.25), _rates(size=224))
    cfg = _config(image_size=224, head_epochs=10, finetune_epochs=10)
    cfg["resources"]["rates"] = [timed]
    wc = types.SimpleNamespace(backbone="ResNet50", layout="alphabetical")
    few, many = _images(tmp_path, 100, 10, [5, 5]), _images(tmp_path, 1000, 100, [50, 30])
    a, b = work.measure("train_backbone", few, wc, cfg), work.measure("train_backbone", many, wc, cfg)
    assert b["projected_s"] > a["projected_s"] and b["cache_mb"] == pytest.approx(10 * a["cache_mb"])
    assert a["cache_mb"] == pytest.approx(110 * 14 * 14 * 1024 * 4 / 1e6)
    assert b["mapped_mb"] > a["mapped_mb"] and a["backbone"] == "ResNet50"
    smaller = work.measure("train_backbone", many, wc, cfg | {"pancancer": cfg["pancancer"] | {"image_size": 128}})
    assert smaller["projected_s"] < b["projected_s"] and smaller["batch_mpx"] < b["batch_mpx"]
    fewer_epochs = work.measure(
        "train_backbone", many, wc, cfg | {"pancancer": cfg["pancancer"] | {"finetune_epochs": 1}}
    )
    assert fewer_epochs["projected_s"] < b["projected_s"]
    cfg["ig"].update(max_per_class=25, max_evaluations=24)
    many["matrix"] = _matrix(tmp_path / "m.parquet", 10, 10)
    ig = work.measure("integrated_gradients", many, wc, cfg)
    cfg["ig"].update(max_evaluations=12)  # the adaptive rule's cap sizes the job
    assert work.measure("integrated_gradients", many, wc, cfg)["projected_s"] < ig["projected_s"]
    cfg["ig"].update(method="trapezoid", steps=16)
    assert work.measure("integrated_gradients", many, wc, cfg)["projected_s"] < ig["projected_s"]
    cfg["ig"].update(method="adaptive", max_evaluations=24, max_per_class=5)
    assert work.measure("integrated_gradients", many, wc, cfg)["projected_s"] < ig["projected_s"]


def test_tensorflow_request_grows_with_the_images(tmp_path):
    cfg = _config(image_size=224)
    wc = types.SimpleNamespace(backbone="VGG19", layout="alphabetical")
    c = model.load()
    few = c.request("train_backbone", work.measure("train_backbone", _images(tmp_path, 50, 5, [1]), wc, cfg))
    many = c.request("train_backbone", work.measure("train_backbone", _images(tmp_path, 5000, 500, [1]), wc, cfg))
    assert many["runtime"] > few["runtime"] and many["mem_mb"] > few["mem_mb"] and many["disk_mb"] > few["disk_mb"]


# ---- record, runlog, fit -------------------------------------------------------------------


def _fake_job(tmp_path, rule="gene_images", rows=20, cols=30):
    m = _matrix(tmp_path / f"m{rows}.parquet", rows, cols)

    class Input(dict):
        def __iter__(self):
            return iter(self.values())

    return types.SimpleNamespace(
        rule=rule,
        wildcards={"layout": "alphabetical"},
        resources={"runtime": 5, "mem_mb": 600, "disk_mb": 100, "tmpdir": "/tmp"},
        input=Input(matrix=m, split=m),
        config={},
    )


def _run(tmp_path, jobs):
    """A results folder with a log (request line), a benchmark and an output (a sparse file of
    the disk use) per (step, job, used), and Snakemake's log of the run naming the outputs."""
    results = tmp_path / "results"
    snakemake_log = []
    for step, job, used in jobs:
        out = results / "out" / f"{step}.bin"
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as fh:
            fh.truncate(int(used[2] * 1e6))
        snakemake_log.append(
            f"rule {job.rule}:\n    input: a\n    output: {out.relative_to(tmp_path)}\n"
            f"    log: results/logs/{step}.log\n    jobid: 1\n"
        )
        log = results / "logs" / f"{step}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        entry = {"rule": job.rule, "wildcards": job.wildcards, "request": {}, "work": job.work}
        log.write_text(f"2026-12-03 INFO tcgatl.jobs: {record.PREFIX}{json.dumps(entry)}\nother lines\n")
        bench = results / "benchmarks" / f"{step}.tsv"
        bench.parent.mkdir(parents=True, exist_ok=True)
        bench.write_text(
            "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
            f"{used[0]}\t0:00:01\t{used[1]}\t1\t1\t1\t1\t0\t1\t1\n"
        )
    (tmp_path / ".snakemake" / "log").mkdir(parents=True)
    (tmp_path / ".snakemake" / "log" / "2026-12-03T000000.000000.snakemake.log").write_text("\n".join(snakemake_log))
    return results


def test_record_writes_the_request_and_the_measured_work(tmp_path, caplog):
    caplog.set_level("INFO", logger="tcgatl.jobs")
    entry = record.record(_fake_job(tmp_path))
    assert entry["request"] == {"runtime": 5, "mem_mb": 600, "disk_mb": 100}
    assert entry["work"]["cells_m"] == pytest.approx(20 * 30 / 1e6, rel=0.1)
    assert record.parse(caplog.text) == json.loads(json.dumps(entry))


def test_fit_recovers_a_linear_need_and_covers_every_job(tmp_path):
    jobs = []
    for i, cells in enumerate([0.01, 1, 10, 50, 200]):
        job = types.SimpleNamespace(rule="gene_images", wildcards={}, work={"cells_m": cells, "input_mb": cells})
        noise = 1.05 if i == 2 else 1.0
        jobs.append((f"j{i}", job, (5 + 2 * cells, (300 + 12 * cells) * noise, 10 + 4 * cells)))
    run = runlog.read_run(_run(tmp_path, jobs))
    assert [j.used["mem_mb"] for j in run][:2] == [300 + 0.12, 312]
    assert [j.used["disk_mb"] for j in run][:2] == pytest.approx([10 + 0.04, 14], abs=1e-6)  # the outputs' MB
    rules, counts = fit_requests.fit(model.load(), run)
    assert counts == {"gene_images": 5}
    mem = rules["gene_images"]["mem_mb"]
    assert mem["cells_m"] == pytest.approx(12, rel=0.1) and mem["base"] == pytest.approx(300, rel=0.1)
    for j in run:
        for resource in model.RESOURCES:
            need = sum(c * (1 if q == "base" else j.work[q]) for q, c in rules["gene_images"][resource].items())
            assert need >= j.used[resource] - 1e-6


def test_fit_keeps_fixed_quantities_and_fits_each_backbone(tmp_path):
    jobs = []
    for b, base in (("ResNet50", 1000), ("VGG19", 2500)):
        for i, mapped in enumerate([10, 300, 900]):
            w = {
                "backbone": b,
                "projected_s": 100.0 * (i + 1),
                "batch_mpx": 1.6,
                "mapped_mb": mapped,
                "cache_mb": 2 * mapped,
            }
            job = types.SimpleNamespace(rule="train_backbone", wildcards={"backbone": b}, work=w)
            jobs.append((f"{b}{i}", job, (30 + 1.1 * w["projected_s"], base + 3 * mapped, 50 + 2 * mapped)))
    c = model.load()
    doc = yaml.safe_load(model.SHIPPED.read_text())
    rules, _ = fit_requests.fit(c, runlog.read_run(_run(tmp_path, jobs)), fixed=doc["fixed"])
    mem = rules["train_backbone"]["mem_mb"]
    assert mem["mapped_mb"] == c.rules["train_backbone"]["mem_mb"]["mapped_mb"]  # kept
    fitted = dataclasses.replace(c, rules=rules)
    w = jobs[0][1].work
    vgg, resnet = (fitted.need("train_backbone", "mem_mb", w | {"backbone": b}) for b in ("VGG19", "ResNet50"))
    assert vgg == pytest.approx(2500 + 3 * 10, rel=0.01) and resnet == pytest.approx(1000 + 3 * 10, rel=0.01)
    assert mem["base"]["Xception"] == c.rules["train_backbone"]["mem_mb"]["base"]["Xception"]  # not measured


def test_fit_requests_cli_writes_a_loadable_file(tmp_path):
    job = types.SimpleNamespace(rule="de_ranking", wildcards={}, work={"cells_m": 5.0, "input_mb": 20.0})
    results = _run(tmp_path, [("pancancer/de_ranking", job, (12.0, 700.0, 30.0))])
    out = tmp_path / "mine.yaml"
    assert fit_requests.main([str(results), "--out", str(out), "--machine", "test box"]) == 0
    c = model.load(str(out))
    assert "test box" in c.measured and c.need("de_ranking", "mem_mb", job.work) >= 700


def test_visible_gpus_follow_cuda_visible_devices_then_nvidia_smi(tmp_path, monkeypatch):
    from tcgatl.jobs.gpus import visible_gpus

    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0,1"}) == 2
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}) == 0
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-1)'\necho 'GPU 1: NVIDIA H200 (UUID: GPU-2)'\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert visible_gpus({}) == 2
    smi.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    assert visible_gpus({}) == 0
