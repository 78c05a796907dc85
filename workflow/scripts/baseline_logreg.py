"""Logistic-regression baseline on the split's feature matrix (rule baseline_logreg)."""
import pandas as pd

from tcgatl.pancancer import baseline, metrics
from tcgatl.io import read_matrix
from tcgatl.logs import setup

log = setup(snakemake.log[0])
split = pd.read_csv(snakemake.input.split, sep="\t", dtype={"split": str})
x = read_matrix(snakemake.input.matrix)
classes, barcodes, y_test, proba = baseline.fit_predict(x, split, snakemake.params.seed, source=snakemake.input.matrix)
result = metrics.evaluate(y_test, [classes[i] for i in proba.argmax(1)], proba, classes,
                          n_boot=snakemake.params.bootstrap, seed=snakemake.params.seed)
log.info("baseline test accuracy %.3f (95%% CI %.3f-%.3f)", result["metrics"]["accuracy"], *result["ci95"]["accuracy"])
metrics.write_evaluation(result, "logistic_regression", metrics.predictions_table(barcodes, y_test, classes, proba),
                         dict(snakemake.output.items()))
