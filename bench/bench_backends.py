"""Throughput of every backbone on this machine's Keras backend and device (CPU or GPU), float32
and mixed precision, beside the CPU figures that size the workflow's jobs.

Per backbone and precision, through the workflow's own code (tcgatl.tools.timing.time_backbone,
random gene images, weights none): the frozen pass (images/s), fine-tuning of the last block on
the cached activations (training images/s) and Integrated Gradients (gradient evaluations/s);
then the shipped CPU rates of ``src/tcgatl/jobs/rates/tcgatl-project_224px.json`` (2-core AMD EPYC,
float32 except where its precision column says) and this run's ratio to them. ``bench_gpu.sh``
runs it on each installed backend. Exits 1 if a timing fails.

    KERAS_BACKEND=jax .venv/bin/python bench/bench_backends.py [--size 224] [--grid 144]
        [--backbones ResNet50 VGG19] [--precisions float32 mixed_bfloat16] [--batches 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tcgatl.logs import prepare_environment

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src" / "tcgatl" / "jobs" / "rates" / "tcgatl-project_224px.json"
# (column, Rates field) of what is printed.
MEASURES = (("frozen img/s", "frozen_ips"), ("finetune img/s", "finetune_train_ips"), ("IG grad/s", "ig_eps"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=224, help="backbone input side (default 224)")
    p.add_argument("--grid", type=int, default=144, help="gene-image side (default 144: the 20,531 EB++ genes)")
    p.add_argument("--classes", type=int, default=33)
    p.add_argument("--backbones", nargs="+", default=["Xception", "DenseNet169", "ResNet50", "VGG19"])
    p.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"])
    p.add_argument("--batches", type=int, default=5, help="timed batches per step (default 5)")
    p.add_argument("--batch-size", type=int, default=32, help="training batch (default: the schema's 32)")
    p.add_argument("--ig-batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: every core)")
    p.add_argument("--json", help="also write the rates here")
    a = p.parse_args(argv)
    if a.threads:
        prepare_environment(a.threads)

    from tcgatl import config
    from tcgatl.pancancer import backend, training
    from tcgatl.tools.timing import time_backbone

    device = backend.describe("float32")
    where = device["gpu"] or f"CPU {device['cpu']} ({device['cpu_threads']} threads)"
    print(f"Keras {device['keras']} on {device['backend']} ({device['framework']}), {where}", flush=True)
    shipped = {r["backbone"]: r for r in json.loads(SHIPPED.read_text())["rates"]}
    pc = config.defaults()["pancancer"] | {"batch_size": a.batch_size}
    rows = []
    for name in a.backbones:
        for precision in a.precisions:
            t0 = time.perf_counter()
            cfg = training.TrainConfig.from_config(pc | {"precision": precision}, 42)
            r = time_backbone(
                name,
                (a.grid, a.grid),
                a.classes,
                cfg,
                size=a.size,
                eval_batch_size=a.ig_batch_size,
                ig_batch_size=a.ig_batch_size,
                batches=a.batches,
            )
            row = {"backbone": name, "precision": precision, "seconds": time.perf_counter() - t0}
            for column, field in MEASURES:
                row[column] = getattr(r, field)
                cpu = shipped.get(name, {}).get(field)
                row[f"CPU {column}"] = cpu
                row[f"x CPU {column.split()[0]}"] = getattr(r, field) / cpu if cpu else None
            rows.append(row)
            print(
                f"{name:12s} {precision:15s} "
                + "  ".join(f"{c} {row[c]:9.1f}" for c, _ in MEASURES)
                + f"  ({row['seconds']:.0f} s)",
                flush=True,
            )
    import pandas as pd

    table = pd.DataFrame(rows)
    print()
    print(f"Side by side ({a.size} px; CPU columns: {SHIPPED.relative_to(ROOT)}, 2-core AMD EPYC, 224 px):")
    print(table.drop(columns="seconds").to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if a.json:
        Path(a.json).write_text(json.dumps({"device": device, "size": a.size, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
