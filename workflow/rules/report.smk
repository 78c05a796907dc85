# The metrics report: figures and tables of both studies with provenance (results/report/).
# Its inputs and `snakemake --report` annotations: common.smk (functions), tcgatl.report.sources (files, categories).


rule metrics_report:
    input:
        unpack(report_inputs),
    output:
        **report_outputs(),
    log:
        paths.log("report"),
    benchmark:
        paths.benchmark("report")
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        # md5 of the raw inputs (tens of GB for the full run) dominates its time
        **job_requests("metrics_report"),
    params:
        config=config,
        raw=lambda wc: report_raw_files(),
        # The demo's synthetic files bear the GDC names: comparing them with the manifest means nothing.
        manifest_md5={} if config["demo"]["enabled"] else {e.filename: e.md5 for e in MANIFEST.values() if e.md5},
        # git describe of this checkout, also when it is a module of another workflow
        basedir=str(WORKFLOW_ROOT),
    script:
        "../scripts/metrics_report.py"
