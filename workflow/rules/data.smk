# Raw inputs (demo generator or GDC downloads) -> sample QC -> Parquet feature matrices.


rule demo_data:
    output:
        **{name: f"results/demo/raw/{path}" for name, path in DEMO_FILES.items()},
    log:
        "results/logs/demo_data.log",
    benchmark:
        "results/benchmarks/demo_data.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=DEMO_RESOURCES["mem_mb"],
        runtime=DEMO_RESOURCES["runtime"],
    params:
        demo=config["demo"],
    script:
        "../scripts/demo_data.py"


rule download_gdc:
    output:
        "results/raw/{filename}",
    log:
        "results/logs/download/{filename}.log",
    benchmark:
        "results/benchmarks/download/{filename}.tsv"
    wildcard_constraints:
        filename="|".join(re.escape(e.filename) for e in MANIFEST.values()),
    retries: 2
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=240,
    params:
        entry=lambda wc: next(e for e in MANIFEST.values() if e.filename == wc.filename),
        gdc=config["gdc"],
    script:
        "../scripts/download_gdc.py"


rule clinical_table:
    input:
        cdr=raw("clinical"),
    output:
        "results/clinical/cdr.parquet",
    log:
        "results/logs/clinical_table.log",
    benchmark:
        "results/benchmarks/clinical_table.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/clinical_table.py"


rule outcomes_table:
    input:
        table=lambda wc: raw("outcomes"),
    output:
        "results/clinical/outcomes.parquet",
    log:
        "results/logs/outcomes_table.log",
    benchmark:
        "results/benchmarks/outcomes_table.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        group_column=MOT["group_column"],
        source=MOT["source_group"],
        target=MOT["target_group"],
    script:
        "../scripts/outcomes_table.py"


rule layer_features:
    input:
        unpack(layer_inputs),
    output:
        matrix="results/features/{layer}.parquet",
        labels="results/features/{layer}.labels.tsv",
        samples="results/features/{layer}.samples.tsv",
        qc="results/features/{layer}.qc.tsv",
        dropped="results/features/{layer}.dropped_features.tsv",
    log:
        "results/logs/features/{layer}.log",
    benchmark:
        "results/benchmarks/features/{layer}.tsv"
    wildcard_constraints:
        layer="|".join(TABLE_LAYERS),
    conda:
        "../../envs/data.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=60,
    params:
        qc=config["qc"],
        spec=lambda wc: layer_spec(wc.layer),
    script:
        "../scripts/layer_features.py"


rule methylation_features:
    input:
        unpack(lambda wc: {"table": raw("methylation"), **labelling_inputs()}),
    output:
        matrix="results/features/methylation.parquet",
        labels="results/features/methylation.labels.tsv",
        samples="results/features/methylation.samples.tsv",
        qc="results/features/methylation.qc.tsv",
        stats="results/features/methylation.cpg_stats.tsv",
    log:
        "results/logs/features/methylation.log",
    benchmark:
        "results/benchmarks/features/methylation.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=480,
    params:
        qc=config["qc"],
        cancer_type=None if MOT["group_column"] else MOT["cancer_type"],
        top_cpgs=MOT["top_cpgs"],
        max_missing=MOT["cpg_max_missing"],
    script:
        "../scripts/methylation_features.py"


rule features:
    input:
        feature_targets(),
