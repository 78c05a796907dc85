"""Test-set metrics of one trained checkpoint (rule evaluate_backbone)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tcgatl.logs import setup  # noqa: E402

log = setup(snakemake.log[0])  # before TensorFlow loads, so its messages go to the log

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tcgatl.pancancer import metrics, training  # noqa: E402
from tcgatl.pancancer.checkpoint import Checkpoint  # noqa: E402

ck = Checkpoint.load(os.path.dirname(snakemake.input.model))
index = pd.read_csv(snakemake.input.index, sep="\t", dtype={"split": str})
test = index[index["split"] == "test"].sort_values("position")
y_idx = training.label_indices(index, "test", ck.classes, snakemake.input.index)
proba = ck.predict_proba(np.load(snakemake.input.test, mmap_mode="r"))
y_true = [ck.classes[i] for i in y_idx]
result = metrics.evaluate(y_true, [ck.classes[i] for i in proba.argmax(1)], proba, ck.classes,
                          n_boot=snakemake.params.bootstrap, seed=snakemake.params.seed)
name = f"{ck.meta['backbone']} ({ck.meta['layout']})"
log.info("%s test accuracy %.3f (95%% CI %.3f-%.3f)", name, result["metrics"]["accuracy"], *result["ci95"]["accuracy"])
metrics.write_evaluation(result, name, metrics.predictions_table(test["barcode"], y_true, ck.classes, proba),
                         dict(snakemake.output.items()))
