"""Integrated Gradients of one checkpoint: attribution maps per class and ranked genes (rule integrated_gradients)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tcgatl.logs import setup, warn_user  # noqa: E402

log = setup(snakemake.log[0])  # before TensorFlow loads, so its messages go to the log

from tcgatl.pancancer import explain  # noqa: E402

cfg = snakemake.params.cfg
result = explain.explain_checkpoint(
    os.path.dirname(snakemake.input.model),
    predictions=snakemake.input.predictions,
    test_images=snakemake.input.test,
    train_images=snakemake.input.train,
    index=snakemake.input.index,
    matrix=snakemake.input.matrix,
    baseline=cfg["baseline"],
    steps=cfg["steps"],
    max_per_class=cfg["max_per_class"],
    batch_size=cfg["batch_size"],
    blur_sigma=cfg["blur_sigma"],
)
median = result.write(dict(snakemake.output.items()), top=cfg["top_genes"])
log.info("median completeness error %.2f%% over %d samples", 100 * median, len(result.samples))
if median > 0.05:
    warn_user(f"Integrated Gradients completeness error: median {100 * median:.1f}% > 5% for "
              f"{snakemake.wildcards.layout}/{snakemake.wildcards.backbone}; increase ig.steps "
              f"(now {cfg['steps']})")
