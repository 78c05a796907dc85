# MOTLAB: multi-omics prognosis, pretrained on EA and adapted to AA patients.
MOT_LAYERS = expand("results/features/{layer}.parquet", layer=MOT["layers"])


rule motlab_cohort:
    input:
        **raw_inputs("ancestry") if MOT["ancestry_source"] == "eigenstrat" else {},
        layers=MOT_LAYERS,
        samples=expand("results/features/{layer}.labels.tsv", layer=MOT["layers"]),
        cdr=MOT_CLINICAL,
    output:
        cohort="results/motlab/cohort.tsv",
        counts="results/motlab/cohort_counts.tsv",
    log:
        "results/logs/motlab/cohort.log",
    benchmark:
        "results/benchmarks/motlab/cohort.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        cfg=MOT_FIT,
    script:
        "../scripts/motlab_cohort.py"


rule motlab_labels:
    input:
        cohort="results/motlab/cohort.tsv",
        cdr=MOT_CLINICAL,
    output:
        labels="results/motlab/{endpoint}_{years}y/labels.tsv",
        counts="results/motlab/{endpoint}_{years}y/label_counts.tsv",
    log:
        "results/logs/motlab/{endpoint}_{years}y/labels.log",
    benchmark:
        "results/benchmarks/motlab/{endpoint}_{years}y/labels.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/motlab_labels.py"


# One job per scheme runs both SMOTE options: they share every fold's preprocessing.
rule motlab_evaluate:
    input:
        layers=MOT_LAYERS,
        cohort="results/motlab/cohort.tsv",
        labels="results/motlab/{endpoint}_{years}y/labels.tsv",
    output:
        auroc="results/motlab/{endpoint}_{years}y/{scheme}/auroc.tsv",
        oof="results/motlab/{endpoint}_{years}y/{scheme}/oof_predictions.parquet",
        weights="results/motlab/{endpoint}_{years}y/{scheme}/omics_weights.tsv",
    log:
        "results/logs/motlab/{endpoint}_{years}y/{scheme}/evaluate.log",
    benchmark:
        "results/benchmarks/motlab/{endpoint}_{years}y/{scheme}/evaluate.tsv"
    conda:
        "../../envs/dl.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        seed=config["seed"],
        cfg=MOT_FIT,
    script:
        "../scripts/motlab_evaluate.py"


# Every scheme's final models (without and with SMOTE) in one job: each fit is seconds, the
# TensorFlow start-up of a job ~6 s.
rule motlab_final_model:
    input:
        layers=MOT_LAYERS,
        cohort="results/motlab/cohort.tsv",
        labels="results/motlab/{endpoint}_{years}y/labels.tsv",
    output:
        models=expand(
            "results/motlab/{{endpoint}}_{{years}}y/{scheme}_{smote}/model/{file}",
            scheme=MOT["schemes"],
            smote=SMOTE_OPTIONS,
            file=["model.keras", "preprocessing.npz", "preprocessing.json"],
        ),
    log:
        "results/logs/motlab/{endpoint}_{years}y/final_models.log",
    benchmark:
        "results/benchmarks/motlab/{endpoint}_{years}y/final_models.tsv"
    conda:
        "../../envs/dl.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        seed=config["seed"],
        cfg=MOT_FIT,
        schemes=MOT["schemes"],
    script:
        "../scripts/motlab_final_model.py"


rule motlab_summary:
    input:
        auroc=expand(
            "results/motlab/{endpoint}_{years}y/{scheme}/auroc.tsv",
            endpoint=MOT["endpoints"],
            years=MOT["years"],
            scheme=MOT["schemes"],
        ),
        oof=expand(
            "results/motlab/{endpoint}_{years}y/{scheme}/oof_predictions.parquet",
            endpoint=MOT["endpoints"],
            years=MOT["years"],
            scheme=MOT["schemes"],
        ),
    output:
        table="results/motlab/auroc_summary.tsv",
        parquet="results/motlab/auroc_summary.parquet",
        per_repeat="results/motlab/auroc_per_repeat.tsv",
        paired="results/motlab/auroc_paired.tsv",
        figure=annotated("results/motlab/auroc_by_scheme.png", "motlab_auroc_by_scheme"),
        roc=annotated("results/motlab/roc_curves.png", "motlab_roc"),
    log:
        "results/logs/motlab/summary.log",
    benchmark:
        "results/benchmarks/motlab/summary.tsv"
    conda:
        "../../envs/dl.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seed=config["seed"],
        n_boot=MOT["paired_bootstrap"],
    script:
        "../scripts/motlab_summary.py"
