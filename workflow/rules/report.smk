# The metrics report: figures and tables of both studies with provenance (results/report/),
# and the annotations that put them into `snakemake --report`.
from tcgatl import report as tcgatl_report

REPORT_DIR = f"{RESULTS}/report"
REPORT_SOURCES = tcgatl_report.Sources(config, RESULTS)
# Report category (and subcategory) of each kind of file; the caption is ../report/<kind>.rst.
REPORT_CATEGORY = {
    "samples_per_type_figure": ("1. Data", "Samples"),
    "samples_per_type_table": ("1. Data", "Samples"),
    "qc_samples": ("1. Data", "Quality control"),
    "qc_features": ("1. Data", "Quality control"),
    "example_images": ("1. Data", "Example gene images"),
    "pancancer_summary": ("2. Pan-cancer", "Summary"),
    "pancancer_metrics": ("2. Pan-cancer", "Summary"),
    "per_class_f1_figure": ("2. Pan-cancer", "Summary"),
    "per_class_f1_table": ("2. Pan-cancer", "Summary"),
    "training_curves": ("2. Pan-cancer", "Training"),
    "training_history": ("2. Pan-cancer", "Training"),
    "confusion": ("2. Pan-cancer", "Confusion matrices"),
    "ig_completeness": ("3. Integrated Gradients", "Summary"),
    "ig_top_genes": ("3. Integrated Gradients", "Summary"),
    "motlab_auroc": ("4. MOTLAB", "Summary"),
    "motlab_weights": ("4. MOTLAB", "Omics weights"),
    "motlab_labels": ("4. MOTLAB", "Cohort"),
    "motlab_cohort": ("4. MOTLAB", "Cohort"),
    "software_versions": ("5. Provenance", None),
    "input_checksums": ("5. Provenance", None),
    "config": ("5. Provenance", None),
}


def report_inputs(wildcards):
    # Raw inputs are checksummed into the provenance section.
    raw = raw_inputs("expression", "sample_quality", "clinical", "ancestry", "mirna", "methylation")
    return tcgatl_report.Sources(config, RESULTS).paths() | {"raw": list(raw.values())}


def report_outputs():
    out = {
        "html": report(
            f"{REPORT_DIR}/{tcgatl_report.DOCUMENTS['html']}",
            caption="../report/metrics_report.rst",
            category="0. Metrics report",
        ),
        "markdown": f"{REPORT_DIR}/{tcgatl_report.DOCUMENTS['markdown']}",
        "json": f"{REPORT_DIR}/{tcgatl_report.DOCUMENTS['json']}",
    }
    for i, (rel, kind, labels) in enumerate(tcgatl_report.output_files(REPORT_SOURCES)):
        path = f"{REPORT_DIR}/{rel}"
        if kind != "copy":
            category, subcategory = REPORT_CATEGORY[kind]
            path = report(path, caption=f"../report/{kind}.rst", category=category, subcategory=subcategory,
                          labels=labels or None)
        out[f"file_{i}"] = path
    return out


rule metrics_report:
    input:
        unpack(report_inputs),
    output:
        **report_outputs(),
    params:
        config=config,
        raw=lambda wc: raw_inputs("expression", "sample_quality", "clinical", "ancestry", "mirna", "methylation"),
        manifest_md5={e.filename: e.md5 for e in MANIFEST.values() if e.md5},
        basedir=workflow.basedir,
    log:
        f"{LOGS}/report.log",
    benchmark:
        f"{BENCH}/report.tsv"
    resources:
        mem_mb=4000,
        runtime=30,  # md5 of the raw inputs (tens of GB for the full run) dominates
    threads: 1
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/metrics_report.py"
