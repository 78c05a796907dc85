# Raw inputs (demo generator or GDC downloads) -> sample QC -> Parquet feature matrices.


rule demo_data:
    output:
        **{name: f"{DEMO_RAW}/{path}" for name, path in DEMO_FILES.items()},
    params:
        demo=config["demo"],
    log:
        f"{LOGS}/demo_data.log",
    benchmark:
        f"{BENCH}/demo_data.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/demo_data.py"


rule download_gdc:
    output:
        f"{RESULTS}/raw/{{filename}}",
    wildcard_constraints:
        filename="|".join(re.escape(e.filename) for e in MANIFEST.values()),
    params:
        entry=lambda wc: next(e for e in MANIFEST.values() if e.filename == wc.filename),
        gdc=config["gdc"],
    log:
        f"{LOGS}/download/{{filename}}.log",
    benchmark:
        f"{BENCH}/download/{{filename}}.tsv"
    resources:
        mem_mb=1000,
        runtime=240,
    retries: 2
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/download_gdc.py"


rule clinical_table:
    input:
        cdr=raw("clinical"),
    output:
        f"{RESULTS}/clinical/cdr.parquet",
    log:
        f"{LOGS}/clinical_table.log",
    benchmark:
        f"{BENCH}/clinical_table.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/clinical_table.py"


rule expression_features:
    input:
        unpack(lambda wc: raw_inputs("expression", "sample_quality")),
        cdr=f"{RESULTS}/clinical/cdr.parquet",
    output:
        matrix=f"{RESULTS}/features/mrna.parquet",
        labels=f"{RESULTS}/features/mrna.labels.tsv",
        samples=f"{RESULTS}/features/mrna.samples.tsv",
        qc=f"{RESULTS}/features/mrna.qc.tsv",
        dropped=f"{RESULTS}/features/mrna.dropped_features.tsv",
    params:
        qc=config["qc"],
        features=config["features"],
    log:
        f"{LOGS}/expression_features.log",
    benchmark:
        f"{BENCH}/expression_features.tsv"
    resources:
        mem_mb=16000,
        runtime=60,
    threads: 2
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/expression_features.py"


rule mirna_features:
    input:
        unpack(lambda wc: raw_inputs("mirna", "sample_quality")),
        cdr=f"{RESULTS}/clinical/cdr.parquet",
    output:
        matrix=f"{RESULTS}/features/mirna.parquet",
        labels=f"{RESULTS}/features/mirna.labels.tsv",
        qc=f"{RESULTS}/features/mirna.qc.tsv",
    params:
        qc=config["qc"],
    log:
        f"{LOGS}/mirna_features.log",
    benchmark:
        f"{BENCH}/mirna_features.tsv"
    resources:
        mem_mb=8000,
        runtime=30,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/mirna_features.py"


rule methylation_features:
    input:
        unpack(lambda wc: raw_inputs("methylation", "sample_quality")),
        cdr=f"{RESULTS}/clinical/cdr.parquet",
    output:
        matrix=f"{RESULTS}/features/methylation.parquet",
        labels=f"{RESULTS}/features/methylation.labels.tsv",
        qc=f"{RESULTS}/features/methylation.qc.tsv",
    params:
        qc=config["qc"],
        cancer_type=MOT["cancer_type"],
        top_cpgs=MOT["top_cpgs"],
    log:
        f"{LOGS}/methylation_features.log",
    benchmark:
        f"{BENCH}/methylation_features.tsv"
    resources:
        mem_mb=8000,
        runtime=240,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/methylation_features.py"


rule features:
    input:
        feature_targets(),
