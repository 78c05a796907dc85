# Raw inputs (demo generator or GDC downloads) -> sample QC -> Parquet feature matrices.


# Downloads run on the submitting node: cluster compute nodes often have no internet.
localrules:
    download_gdc,


rule demo_data:
    output:
        **{name: paths.demo_raw(path) for name, path in DEMO_FILES.items()},
    log:
        paths.log("demo_data"),
    benchmark:
        paths.benchmark("demo_data")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("demo_data"),
    params:
        demo=config["demo"],
    script:
        "../scripts/demo_data.py"


rule download_gdc:
    output:
        paths.download(),
    log:
        paths.log("download/{filename}"),
    benchmark:
        paths.benchmark("download/{filename}")
    wildcard_constraints:
        filename="|".join(re.escape(e.filename) for e in MANIFEST.values()),
    retries: 2
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("download_gdc", size=lambda wc: manifest_entry(wc).size),
    params:
        entry=manifest_entry,
        gdc=config["gdc"],
    script:
        "../scripts/download_gdc.py"


# The backbones' ImageNet weights ("notop" files, checked against Keras's md5), fetched on the
# submitting node before any data stage when missing, so that a machine that cannot reach the
# weights host fails within seconds, not hours into the run. Offline sites set
# pancancer.weights_download: false and place the files by hand (validated up front).
if IMAGENET_WEIGHTS and PC["weights_download"]:

    localrules:
        imagenet_weights,

    rule imagenet_weights:
        output:
            str(WEIGHTS_FOLDER / "{weights_file}"),
        log:
            paths.log("download/{weights_file}"),
        benchmark:
            paths.benchmark("download/{weights_file}")
        wildcard_constraints:
            weights_file="|".join(re.escape(f) for f in IMAGENET_WEIGHTS.values()),
        priority: 100
        conda:
            "../../envs/data.yaml"
        threads: 1
        resources:
            **job_requests("imagenet_weights"),
        params:
            backbone=lambda wc: next(b for b, f in IMAGENET_WEIGHTS.items() if f == wc.weights_file),
            pancancer=PC,
            gdc=config["gdc"],
        script:
            "../scripts/imagenet_weights.py"


rule clinical_table:
    input:
        cdr=raw("clinical"),
    output:
        paths.clinical("cdr"),
    log:
        paths.log("clinical_table"),
    benchmark:
        paths.benchmark("clinical_table")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("clinical_table"),
    script:
        "../scripts/clinical_table.py"


rule outcomes_table:
    input:
        table=lambda wc: raw("outcomes"),
    output:
        paths.clinical("outcomes"),
    log:
        paths.log("outcomes_table"),
    benchmark:
        paths.benchmark("outcomes_table")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("outcomes_table"),
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
        **paths.feature_files(),
    log:
        paths.log("features/{layer}"),
    benchmark:
        paths.benchmark("features/{layer}")
    wildcard_constraints:
        layer="|".join(TABLE_LAYERS),
    conda:
        "../../envs/data.yaml"
    threads: 2
    resources:
        **job_requests("layer_features"),
    params:
        qc=config["qc"],
        spec=lambda wc: layer_spec(wc.layer),
    script:
        "../scripts/layer_features.py"


rule methylation_features:
    input:
        unpack(lambda wc: {"table": raw("methylation"), **labelling_inputs()}),
    output:
        **paths.feature_files("methylation", ("matrix", "labels", "samples", "qc", "stats")),
    log:
        paths.log("features/methylation"),
    benchmark:
        paths.benchmark("features/methylation")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("methylation_features"),
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
