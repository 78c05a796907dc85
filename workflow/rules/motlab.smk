# MOTLAB: multi-omics prognosis, pretrained on EA and adapted to AA patients.
MOT_DIR = f"{RESULTS}/motlab"


rule motlab_cohort:
    input:
        layers=expand(f"{RESULTS}/features/{{layer}}.parquet", layer=MOT["layers"]),
        cdr=f"{RESULTS}/clinical/cdr.parquet",
        **raw_inputs("ancestry") if MOT["ancestry_source"] == "eigenstrat" else {},
    output:
        cohort=f"{MOT_DIR}/cohort.tsv",
    params:
        cfg=MOT,
    log:
        f"{LOGS}/motlab/cohort.log",
    benchmark:
        f"{BENCH}/motlab/cohort.tsv"
    resources:
        mem_mb=8000,
        runtime=30,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/motlab_cohort.py"


rule motlab_labels:
    input:
        cohort=f"{MOT_DIR}/cohort.tsv",
        cdr=f"{RESULTS}/clinical/cdr.parquet",
    output:
        labels=f"{MOT_DIR}/{{endpoint}}_{{years}}y/labels.tsv",
        counts=f"{MOT_DIR}/{{endpoint}}_{{years}}y/label_counts.tsv",
    log:
        f"{LOGS}/motlab/{{endpoint}}_{{years}}y/labels.log",
    benchmark:
        f"{BENCH}/motlab/{{endpoint}}_{{years}}y/labels.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/motlab_labels.py"


rule motlab_evaluate:
    input:
        layers=expand(f"{RESULTS}/features/{{layer}}.parquet", layer=MOT["layers"]),
        labels=f"{MOT_DIR}/{{endpoint}}_{{years}}y/labels.tsv",
    output:
        auroc=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/auroc.tsv",
        oof=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/oof_predictions.parquet",
        weights=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/omics_weights.tsv",
    params:
        seed=config["seed"],
        cfg=MOT,
    wildcard_constraints:
        scheme="|".join(["mixture", "independent", "finetune", "ccsa"]),
        smote="smote|nosmote",
    log:
        f"{LOGS}/motlab/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/evaluate.log",
    benchmark:
        f"{BENCH}/motlab/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/evaluate.tsv"
    resources:
        mem_mb=8000,
        runtime=120,
    threads: 2
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/motlab_evaluate.py"


rule motlab_final_model:
    input:
        layers=expand(f"{RESULTS}/features/{{layer}}.parquet", layer=MOT["layers"]),
        labels=f"{MOT_DIR}/{{endpoint}}_{{years}}y/labels.tsv",
        weights=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/omics_weights.tsv",
    output:
        model=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/model/model.keras",
        preprocessing=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/model/preprocessing.json",
    params:
        seed=config["seed"],
        cfg=MOT,
    wildcard_constraints:
        scheme="|".join(["mixture", "independent", "finetune", "ccsa"]),
        smote="smote|nosmote",
    log:
        f"{LOGS}/motlab/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/final_model.log",
    benchmark:
        f"{BENCH}/motlab/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/final_model.tsv"
    resources:
        mem_mb=8000,
        runtime=60,
    threads: 2
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/motlab_final_model.py"


rule motlab_summary:
    input:
        expand(
            f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/auroc.tsv",
            endpoint=MOT["endpoints"],
            years=MOT["years"],
            scheme=MOT["schemes"],
            smote=["smote", "nosmote"],
        ),
    output:
        table=f"{MOT_DIR}/auroc_summary.tsv",
        figure=f"{MOT_DIR}/auroc_by_scheme.png",
    log:
        f"{LOGS}/motlab/summary.log",
    benchmark:
        f"{BENCH}/motlab/summary.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    threads: 1
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/motlab_summary.py"
