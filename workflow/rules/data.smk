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


rule layer_features:
    input:
        unpack(layer_inputs),
    output:
        matrix=f"{RESULTS}/features/{{layer}}.parquet",
        labels=f"{RESULTS}/features/{{layer}}.labels.tsv",
        samples=f"{RESULTS}/features/{{layer}}.samples.tsv",
        qc=f"{RESULTS}/features/{{layer}}.qc.tsv",
        dropped=f"{RESULTS}/features/{{layer}}.dropped_features.tsv",
    wildcard_constraints:
        layer="|".join(TABLE_LAYERS),
    params:
        qc=config["qc"],
        spec=lambda wc: layer_spec(wc.layer),
    log:
        f"{LOGS}/features/{{layer}}.log",
    benchmark:
        f"{BENCH}/features/{{layer}}.tsv"
    resources:
        mem_mb=16000,
        runtime=60,
    threads: 2
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/layer_features.py"


rule methylation_features:
    input:
        unpack(lambda wc: {"table": raw("methylation"), **raw_inputs("sample_quality")}),
        cdr=f"{RESULTS}/clinical/cdr.parquet",
    output:
        matrix=f"{RESULTS}/features/methylation.parquet",
        labels=f"{RESULTS}/features/methylation.labels.tsv",
        samples=f"{RESULTS}/features/methylation.samples.tsv",
        qc=f"{RESULTS}/features/methylation.qc.tsv",
        stats=f"{RESULTS}/features/methylation.cpg_stats.tsv",
    params:
        qc=config["qc"],
        cancer_type=MOT["cancer_type"],
        top_cpgs=MOT["top_cpgs"],
        max_missing=MOT["cpg_max_missing"],
    log:
        f"{LOGS}/features/methylation.log",
    benchmark:
        f"{BENCH}/features/methylation.tsv"
    resources:
        mem_mb=8000,
        runtime=480,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/methylation_features.py"


rule features:
    input:
        feature_targets(),
