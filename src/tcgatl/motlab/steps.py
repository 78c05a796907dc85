"""The MOTLAB rules (workflow/rules/motlab.smk): one function per rule, called by its script
through ``tcgatl.logs.run_step`` with the script's ``snakemake`` object as ``job`` (input,
output, params, wildcards, threads). Each imports what it needs when it runs: a data job does
not pay for TensorFlow, and TensorFlow's import messages go to the rule's log."""

from __future__ import annotations

import logging

log = logging.getLogger("tcgatl")


def motlab_cohort(job) -> None:
    """BRCA primary tumours in every omics layer, with EA/AA ancestry (rule motlab_cohort)."""
    import pandas as pd

    from ..inputs import clinical
    from ..io import read_matrix, write_table
    from . import cohort

    cfg = job.params.cfg
    paths = dict(zip(cfg["layers"], job.input.layers))
    layers = {name: read_matrix(path) for name, path in paths.items()}
    table = pd.read_parquet(job.input.clinical)
    ancestry, cancer_type, patients = None, cfg["cancer_type"], None
    if cfg["group_column"]:  # an outcomes table of one's own: its groups are the domains
        ancestry, cancer_type = table["ancestry"], None
        samples = [pd.read_csv(p, sep="\t", dtype=str) for p in job.input.samples]
        patients = {name: dict(zip(s["barcode"], s["patient"])) for name, s in zip(cfg["layers"], samples)}
    elif cfg["ancestry_source"] == "eigenstrat":
        ancestry = cohort.ancestry_from_eigenstrat(clinical.read_ancestry(job.input.ancestry, cfg["cancer_type"]))
    table, counts = cohort.build_cohort(
        layers,
        table,
        cancer_type,
        ancestry,
        sources={**paths, "clinical": job.input.clinical},
        sample_patients=patients,
    )
    write_table(counts, job.output.counts)
    write_table(table, job.output.cohort)


def motlab_labels(job) -> None:
    """Endpoint labels within N years and their counts per ancestry (rule motlab_labels)."""
    import pandas as pd

    from ..io import write_table
    from . import cohort, labels

    endpoint, years = job.wildcards.endpoint, int(job.wildcards.years)
    table = labels.cohort_labels(
        cohort.read_cohort(job.input.cohort), pd.read_parquet(job.input.clinical), endpoint, years
    )
    counts = labels.label_counts(table)
    log.info("%s within %d years:\n%s", endpoint, years, counts.to_string(index=False))
    write_table(counts, job.output.counts)
    write_table(table, job.output.labels)


def motlab_evaluate(job) -> None:
    """Repeated stratified K-fold AUROC of one scheme, with and without SMOTE (rule motlab_evaluate)."""
    from ..io import write_table
    from .evaluate import Data, Settings, auroc_table, run_scheme

    cfg = job.params.cfg
    data = Data.from_files(job.input.cohort, dict(zip(cfg["layers"], job.input.layers)), job.input.labels)
    scheme = job.wildcards.scheme
    oof, weights = run_scheme(scheme, data, Settings.from_config(cfg), job.params.seed)
    tag = {"endpoint": job.wildcards.endpoint, "years": int(job.wildcards.years), "scheme": scheme}
    auroc = auroc_table(oof).assign(**tag)
    log.info("AUROC per repeat:\n%s", auroc.to_string(index=False))
    write_table(weights.assign(**tag), job.output.weights)
    write_table(oof.assign(**tag), job.output.oof)
    write_table(auroc, job.output.auroc)


def motlab_final_model(job) -> None:
    """Final models of every scheme (without and with SMOTE) on all labelled patients, each
    saved with its preprocessing (rule motlab_final_model)."""
    from pathlib import Path

    from .evaluate import Data, Settings
    from .final import fit_final
    from .options import smote_option

    cfg = job.params.cfg
    data = Data.from_files(job.input.cohort, dict(zip(cfg["layers"], job.input.layers)), job.input.labels)
    wc = job.wildcards
    for scheme in job.params.schemes:
        for smote in (False, True):
            model = fit_final(
                scheme,
                data,
                Settings.from_config(cfg),
                job.params.seed,
                smote,
                meta={"endpoint": wc.endpoint, "years": int(wc.years)},
            )
            # preprocessing.json is written last, so its presence means a complete checkpoint.
            out = next(Path(p).parent for p in job.output.models if f"/{scheme}_{smote_option(smote)}/" in p)
            model.save(out)


def motlab_summary(job) -> None:
    """AUROC mean/sd/95% CI per endpoint, year, scheme and SMOTE option, paired comparisons of
    the schemes; figures (rule motlab_summary)."""
    import pandas as pd

    from ..io import read_table, write_table
    from . import paired, plots
    from .evaluate import summarise

    auroc = pd.concat([read_table(p) for p in job.input.auroc], ignore_index=True)
    oof = pd.concat([pd.read_parquet(p) for p in job.input.oof], ignore_index=True)
    summary = summarise(auroc)
    log.info("AUROC summary:\n%s", summary.to_string(index=False))
    write_table(auroc, job.output.per_repeat)
    comparisons = paired.paired_table(oof, n_boot=job.params.n_boot, seed=job.params.seed)
    log.info("paired comparisons on AA:\n%s", "\n".join(paired.sentences(comparisons)))
    write_table(comparisons, job.output.paired)
    write_table(summary, job.output.parquet)
    plots.roc_curves(oof, summary, job.output.roc)
    plots.auroc_by_scheme(summary, job.output.figure)
    write_table(summary, job.output.table)
