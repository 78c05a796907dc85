"""The acquisition and feature-matrix rules (workflow/rules/data.smk): one function per rule,
called by its script through ``tcgatl.logs.run_step`` with the script's ``snakemake`` object as
``job`` (input, output, params, wildcards, threads). Each imports what it needs when it runs: a
data job does not pay for TensorFlow, and TensorFlow's import messages go to the rule's log."""

from __future__ import annotations

import logging

log = logging.getLogger("tcgatl")


def demo_data(job) -> None:
    """Generate the embedded demo's raw TCGA-format files (rule demo_data)."""
    from . import demo
    from .demo_files import FILES
    from .demo_params import DemoParams

    params = DemoParams.from_config(job.params.demo)
    paths = demo.generate(job.output.expression.removesuffix(FILES["expression"]), params)
    log.info("wrote %d demo files", len(paths))


def download_gdc(job) -> None:
    """Verified, resumable download of one GDC file (rule download_gdc)."""
    from . import gdc

    entry, cfg = job.params.entry, job.params.gdc
    log.info("downloading %s (GDC file %s) from %s", entry.filename, entry.id, cfg["base_url"])
    gdc.download(
        entry.id,
        job.output[0],
        md5=entry.md5,
        size=entry.size,
        base_url=cfg["base_url"],
        retries=cfg["retries"],
        timeout=cfg["timeout"],
        backoff=cfg["backoff"],
    )


def imagenet_weights(job) -> None:
    """Verified, resumable download of one backbone's ImageNet weights (rule imagenet_weights)."""
    from . import gdc, weights

    backbone, pc, cfg = job.params.backbone, job.params.pancancer, job.params.gdc
    log.info("downloading the %s ImageNet weights from %s", backbone, pc["weights_url"])
    gdc.fetch(
        dest=job.output[0],
        **weights.source(backbone, pc["weights_url"]),
        retries=cfg["retries"],
        timeout=cfg["timeout"],
        backoff=cfg["backoff"],
    )


def clinical_table(job) -> None:
    """TCGA-CDR -> clinical Parquet indexed by patient (rule clinical_table)."""
    from ..io import write_table
    from . import clinical

    cdr = clinical.read_cdr(job.input.cdr)
    log.info("CDR: %d patients, %d tumour types", len(cdr), cdr["type"].nunique())
    write_table(cdr, job.output[0], index=True)


def _labelling(job) -> dict:
    """The CDR and the sample sheet a layer's QC reads, each None when not an input."""
    import pandas as pd

    from .sheet import read_sample_sheet

    names = job.input.keys()
    return {
        "cdr": pd.read_parquet(job.input.cdr) if "cdr" in names else None,
        "sheet": read_sample_sheet(job.input.sheet) if "sheet" in names else None,
    }


def outcomes_table(job) -> None:
    """An outcomes table of one's own -> Parquet indexed by patient, with MOTLAB's domains (rule outcomes_table)."""
    from ..io import write_table
    from . import outcomes

    p = job.params
    table = outcomes.read_outcomes(job.input.table, group_column=p.group_column, source=p.source, target=p.target)
    write_table(table, job.output[0], index=True)


def layer_features(job) -> None:
    """Features x samples table -> sample QC -> samples x features Parquet + labels (rule layer_features)."""
    from ..io import write_matrix, write_table
    from . import matrix, qc

    spec = job.params.spec
    quality = qc.read_sample_quality(job.input.sample_quality) if "sample_quality" in job.input.keys() else None
    if quality is None:
        log.warning("no sample-quality annotation configured: Do_not_use and pathology filters skipped")
    x, samples, dropped = matrix.build(
        job.input.table,
        quality=quality,
        **_labelling(job),
        qc=job.params.qc,
        features=spec["features"],
        skip=tuple(spec["skip"]),
    )
    summary = qc.qc_summary(samples)
    log.info("QC:\n%s", summary.to_string(index=False))
    write_table(samples, job.output.samples)
    write_table(summary, job.output.qc)
    write_table(dropped, job.output.dropped)
    write_table(qc.kept_labels(samples), job.output.labels)
    write_matrix(x, job.output.matrix)


def methylation_features(job) -> None:
    """450K methylation -> the cohort's top-variance CpGs as Parquet, streamed (rule methylation_features)."""
    import pandas as pd

    from ..io import write_matrix, write_table
    from . import methylation, qc

    quality = qc.read_sample_quality(job.input.sample_quality) if "sample_quality" in job.input.keys() else None
    x, samples, stats = methylation.build(
        job.input.table,
        quality=quality,
        **_labelling(job),
        qc=job.params.qc,
        cancer_type=job.params.cancer_type,
        top=job.params.top_cpgs,
        max_missing=job.params.max_missing,
    )
    write_table(samples, job.output.samples)
    write_table(qc.qc_summary(samples), job.output.qc)
    write_table(pd.DataFrame(list(stats.items()), columns=["cpgs", "count"]), job.output.stats)
    write_table(qc.kept_labels(samples), job.output.labels)
    write_matrix(x, job.output.matrix)
