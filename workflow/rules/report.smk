# The metrics report: figures and tables of both studies with provenance.


rule metrics_report:
    input:
        features=feature_targets(),
        pancancer=pancancer_targets(),
        motlab=f"{MOT_DIR}/auroc_summary.tsv",
    output:
        html=f"{RESULTS}/report/index.html",
        markdown=f"{RESULTS}/report/report.md",
    params:
        config=config,
    log:
        f"{LOGS}/report.log",
    benchmark:
        f"{BENCH}/report.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    threads: 1
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/metrics_report.py"
