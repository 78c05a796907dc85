"""The pan-cancer rules (workflow/rules/pancancer.smk, ig.smk): one function per rule, called by
its script through ``tcgatl.logs.run_step`` with the script's ``snakemake`` object as ``job``
(input, output, params, wildcards, threads). Each imports what it needs when it runs: a data job
does not pay for TensorFlow, and TensorFlow's import messages go to the rule's log."""

from __future__ import annotations

import logging

log = logging.getLogger("tcgatl")


def _log_split(what: str, table) -> None:
    """Samples per label and part of a split table, in the job's log."""
    log.info("%s:\n%s", what, table.groupby(["label", "split"]).size().unstack(fill_value=0).to_string())


def pancancer_split(job) -> None:
    """Stratified train/val/test split of the classifier's samples (rule pancancer_split)."""
    import pandas as pd

    from ..io import write_table
    from . import splits

    p = job.params
    labels = pd.read_csv(job.input.labels, sep="\t", dtype=str)
    table, dropped = splits.make_split(
        labels,
        train=p.train,
        val=p.val,
        min_class_size=p.min_class_size,
        max_class_size=p.max_class_size,
        seed=p.seed,
        source=job.input.labels,
    )
    _log_split("split", table)
    write_table(dropped, job.output.dropped)
    write_table(table, job.output.split)


def gene_layout(job) -> None:
    """Gene -> pixel layout and [0, 1] scaling, fitted on the training split (rule gene_layout)."""
    import pandas as pd

    from ..io import read_matrix, write_table
    from . import layouts
    from .splits import split_matrix

    p = job.params
    split = pd.read_csv(job.input.split, sep="\t", dtype={"split": str})
    x = read_matrix(job.input.matrix)
    x_train, _ = split_matrix(x, split, source=job.input.matrix)["train"]
    if job.wildcards.layout == "alphabetical":
        table, shape = layouts.alphabetical(x.columns)
    elif job.wildcards.layout == "chromosome":
        table, shape = layouts.chromosome(x.columns)
    elif job.wildcards.layout == "similarity":
        table, shape = layouts.similarity(x_train, seed=p.seed, grid=p.grid, method=p.method, assignment=p.assignment)
    else:
        raise ValueError(f"no builder for layout {job.wildcards.layout!r} (tcgatl.pancancer.options.LAYOUTS)")
    log.info("%s layout: %d genes on %dx%d pixels", job.wildcards.layout, len(table), *shape)
    layouts.write_layout(table, shape, job.output.layout)
    write_table(layouts.fit_scaling(x_train, p.scaling), job.output.scaling)


def gene_images(job) -> None:
    """Gene images per split at the native grid, as memory-mappable .npy (rule gene_images)."""
    import pandas as pd

    from ..io import read_matrix, write_table
    from . import layouts
    from .splits import split_matrix

    split = pd.read_csv(job.input.split, sep="\t", dtype={"split": str})
    x = read_matrix(job.input.matrix)
    layout, shape = layouts.read_layout(job.input.layout)
    scaling = pd.read_parquet(job.input.scaling)
    parts = split_matrix(x, split, source=job.input.matrix)
    index = []
    for name in ("train", "val", "test"):
        xs, y = parts[name]
        layouts.to_images(xs, scaling, layout, shape, job.output[name])
        index.append(pd.DataFrame({"split": name, "position": range(len(xs)), "barcode": xs.index, "label": y}))
        log.info("%s: %d images of %dx%d", name, len(xs), *shape)
    write_table(pd.concat(index, ignore_index=True), job.output.index)


def pancancer_cv_folds(job) -> None:
    """The repeated stratified K-fold of the split's samples (rule pancancer_cv_folds)."""
    import pandas as pd

    from ..io import write_table
    from . import splits

    p = job.params
    split = pd.read_csv(job.input.split, sep="\t", dtype=str)
    table = splits.fold_table(split, p.folds, p.repeats, p.seed, source=job.input.split)
    log.info("%d samples in %d folds x %d repeat(s)", len(table), p.folds, p.repeats)
    write_table(table, job.output.folds)


def pancancer_fold_split(job) -> None:
    """The split table of one cross-validation fold (rule pancancer_fold_split)."""
    import pandas as pd

    from ..io import write_table
    from . import splits

    p = job.params
    folds = pd.read_csv(job.input.folds, sep="\t", dtype={"barcode": str, "patient": str, "label": str})
    table = splits.fold_split(
        folds,
        int(job.wildcards.repeat),
        int(job.wildcards.fold),
        train=p.train,
        val=p.val,
        seed=p.seed,
        source=job.input.folds,
    )
    _log_split("fold split", table)
    write_table(table, job.output.split)


def pancancer_cv_summary(job) -> None:
    """Every model's test metrics on every fold and their mean with a 95% interval (rule
    pancancer_cv_summary)."""
    from ..io import write_table
    from . import crossval

    files = {tuple(key): path for key, path in zip(job.params.runs, job.input.metrics)}
    per_fold = crossval.fold_metrics(files)
    summary = crossval.summarise(per_fold, job.params.folds, train_share=job.params.train_share)
    log.info("cross-validation summary:\n%s", summary.round(3).to_string())
    write_table(per_fold, job.output.per_fold)
    write_table(summary, job.output.summary)


def baseline_logreg(job) -> None:
    """Logistic-regression baseline on the split's feature matrix (rule baseline_logreg)."""
    import pandas as pd

    from ..io import read_matrix
    from . import baseline, metrics

    split = pd.read_csv(job.input.split, sep="\t", dtype={"split": str})
    x = read_matrix(job.input.matrix)
    classes, barcodes, y_test, proba = baseline.fit_predict(x, split, job.params.seed, source=job.input.matrix)
    result = metrics.evaluate(
        y_test, [classes[i] for i in proba.argmax(1)], proba, classes, n_boot=job.params.bootstrap, seed=job.params.seed
    )
    log.info(
        "baseline test accuracy %.3f (95%% CI %.3f-%.3f)", result["metrics"]["accuracy"], *result["ci95"]["accuracy"]
    )
    metrics.write_evaluation(
        result,
        "logistic_regression",
        metrics.predictions_table(barcodes, y_test, classes, proba),
        dict(job.output.items()),
    )


def train_backbone(job) -> None:
    """Fine-tune one ImageNet backbone on one gene layout's images (rule train_backbone)."""
    import os
    import shutil

    import numpy as np
    import pandas as pd

    from ..io import write_table
    from . import checkpoint, models, training
    from .backend import describe, summary

    pc, backbone = job.params.cfg, job.wildcards.backbone
    cfg = training.TrainConfig.from_config(pc, job.params.seed)
    index = pd.read_csv(job.input.index, sep="\t", dtype={"split": str})
    classes = sorted(index.loc[index["split"] == "train", "label"].unique())
    x, y = {}, {}
    for part in ("train", "val"):
        x[part] = np.load(job.input[part], mmap_mode="r")
        y[part] = training.label_indices(index, part, classes, job.input.index)
    log.info(
        "%s on %s images %s: %d training, %d validation samples, %d classes",
        backbone,
        job.wildcards.layout,
        x["train"].shape[1:],
        len(y["train"]),
        len(y["val"]),
        len(classes),
    )

    precision = models.resolve_precision(cfg.precision, backbone)  # 'auto' resolved once, here
    model = models.build(
        backbone,
        x["train"].shape[1:],
        len(classes),
        size=pc["image_size"],
        weights=pc["weights"],
        weights_dir=pc["weights_dir"],
        seed=cfg.seed,
        precision=precision,
    )
    device = describe(precision)
    log.info("backbone precision: %s (pancancer.precision: %s); %s", precision, cfg.precision, summary(device))
    # The activation cache (GBs at 224 px) has a fixed name in the job's own folder: removed when
    # the job ends, and by the next attempt if the job was killed before it could.
    cache = os.path.join(os.path.dirname(job.output.model), ".activations")
    shutil.rmtree(cache, ignore_errors=True)
    try:
        history = training.train(model, backbone, x["train"], y["train"], x["val"], y["val"], cfg, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    write_table(history, job.output.history)
    checkpoint.save(
        dict(job.output.items()),
        model,
        classes,
        job.input.layout,
        job.input.scaling,
        {
            "backbone": backbone,
            "layout": job.wildcards.layout,
            "image_size": pc["image_size"],
            "weights": pc["weights"],
            "precision": precision,
            # Backend, framework, CPU or GPU, driver and CUDA the model was trained with.
            "trained_on": device,
            "features": job.params.features,
            "seed": cfg.seed,
        },
    )


def evaluate_backbone(job) -> None:
    """Test-set metrics of one trained checkpoint (rule evaluate_backbone)."""
    import os

    import numpy as np
    import pandas as pd

    from . import metrics, training
    from .checkpoint import Checkpoint

    ck = Checkpoint.load(os.path.dirname(job.input.model))
    index = pd.read_csv(job.input.index, sep="\t", dtype={"split": str})
    test = index[index["split"] == "test"].sort_values("position")
    y_idx = training.label_indices(index, "test", ck.classes, job.input.index)
    proba = ck.predict_proba(np.load(job.input.test, mmap_mode="r"))
    y_true = [ck.classes[i] for i in y_idx]
    result = metrics.evaluate(
        y_true,
        [ck.classes[i] for i in proba.argmax(1)],
        proba,
        ck.classes,
        n_boot=job.params.bootstrap,
        seed=job.params.seed,
    )
    name = f"{ck.meta['backbone']} ({ck.meta['layout']})"
    log.info(
        "%s test accuracy %.3f (95%% CI %.3f-%.3f)", name, result["metrics"]["accuracy"], *result["ci95"]["accuracy"]
    )
    metrics.write_evaluation(
        result, name, metrics.predictions_table(test["barcode"], y_true, ck.classes, proba), dict(job.output.items())
    )


def integrated_gradients(job) -> None:
    """Integrated Gradients of one checkpoint: attribution maps per class and ranked genes (rule integrated_gradients)."""
    import os

    import numpy as np

    from ..logs import warn_user
    from . import explain
    from .backend import describe, summary

    cfg = job.params.cfg
    log.info(summary(describe("float32")))  # IG runs in float32 whatever the checkpoint's precision
    result = explain.explain_checkpoint(
        os.path.dirname(job.input.model),
        predictions=job.input.predictions,
        test_images=job.input.test,
        train_images=job.input.train,
        index=job.input.index,
        matrix=job.input.matrix,
        baseline=cfg["baseline"],
        steps=cfg["steps"],
        max_per_class=cfg["max_per_class"],
        batch_size=cfg["batch_size"],
        blur_sigma=cfg["blur_sigma"],
        method=cfg["method"],
        tolerance=cfg["tolerance"],
        max_evaluations=cfg["max_evaluations"],
        de_genes=job.input.de,
        faithfulness_points=cfg["faithfulness_points"],
        faithfulness_per_class=cfg["faithfulness_per_class"],
        seed=job.params.seed,
    )
    median = result.write(dict(job.output.items()), top=cfg["top_genes"])
    overall = result.faithfulness[result.faithfulness["class"] == "all"]
    log.info("deletion and insertion curves, mean normalised areas:\n%s", overall.round(3).to_string(index=False))
    samples = result.samples
    log.info(
        "completeness error median %.2f%%, 90th percentile %.2f%% over %d samples; %.1f gradient evaluations "
        "per sample (at most %d); %d above the tolerance %.3g",
        100 * median,
        100 * float(np.nanquantile(samples["completeness_error"], 0.9)) if len(samples) else float("nan"),
        len(samples),
        samples["evaluations"].mean() if len(samples) else 0.0,
        samples["evaluations"].max() if len(samples) else 0,
        int((~samples["converged"]).sum()),
        cfg["tolerance"],
    )
    stray = int((~samples["converged"]).sum())
    if stray:
        advice = (
            f"raise ig.max_evaluations (now {cfg['max_evaluations']})"
            if cfg["method"] == "adaptive"
            else f"increase ig.steps (now {cfg['steps']}, method {cfg['method']}) or use method: adaptive"
        )
        warn_user(
            f"Integrated Gradients of {job.wildcards.layout}/{job.wildcards.backbone}: {stray} of {len(samples)} "
            f"samples above the completeness tolerance {cfg['tolerance']:.3g}; they are left out of the gene "
            f"rankings and maps (listed in {job.output.completeness}); {advice}"
        )


def de_ranking(job) -> None:
    """One-vs-rest Welch t of every gene per class, training split only (rule de_ranking)."""
    import pandas as pd

    from ..io import read_matrix, write_table
    from . import agreement

    split = pd.read_csv(job.input.split, sep="\t", dtype={"split": str})
    table = agreement.de_ranking(
        read_matrix(job.input.matrix), split, source=job.input.matrix, split_source=job.input.split
    )
    write_table(table, job.output.genes)
    write_table(table[table["rank"] <= job.params.top], job.output.top)


def ig_de_agreement(job) -> None:
    """Agreement of one checkpoint's IG gene ranking with the DE ranking, per class (rule ig_de_agreement)."""
    import pandas as pd

    from ..io import write_table
    from . import agreement

    table = agreement.agreement(
        pd.read_parquet(job.input.ig),
        pd.read_parquet(job.input.de),
        k=job.params.top_k,
        ig_source=job.input.ig,
        de_source=job.input.de,
    )
    log.info("IG vs DE agreement:\n%s", table.round(3).to_string(index=False))
    if len(table):
        log.info(
            "median Spearman %.3f (absolute %.3f); median top-%d overlap %.3f (chance %.3f), above chance in %d of %d classes",
            table["spearman"].median(),
            table["spearman_abs"].median(),
            table["k"].iloc[0],
            table["topk_overlap"].median(),
            table["chance"].iloc[0],
            int((table["topk_overlap"] > table["chance"]).sum()),
            len(table),
        )
    write_table(table, job.output.agreement)
