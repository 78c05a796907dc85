# MOTLAB: multi-omics prognosis, pretrained on EA and adapted to AA patients.
MOT_DIR = f"{RESULTS}/motlab"
MOT_SCHEMES = ["mixture", "independent", "finetune", "ccsa"]
MOT_LAYERS = expand(f"{RESULTS}/features/{{layer}}.parquet", layer=MOT["layers"])


wildcard_constraints:
    endpoint="PFI|DSS|OS|DFI",
    years=r"\d+",
    scheme="|".join(MOT_SCHEMES),
    smote="smote|nosmote",


rule motlab_cohort:
    input:
        layers=MOT_LAYERS,
        cdr=f"{RESULTS}/clinical/cdr.parquet",
        **raw_inputs("ancestry") if MOT["ancestry_source"] == "eigenstrat" else {},
    output:
        cohort=f"{MOT_DIR}/cohort.tsv",
        counts=f"{MOT_DIR}/cohort_counts.tsv",
    params:
        cfg=MOT_FIT,
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


# One job per scheme runs both SMOTE options: they share every fold's preprocessing.
rule motlab_evaluate:
    input:
        layers=MOT_LAYERS,
        cohort=f"{MOT_DIR}/cohort.tsv",
        labels=f"{MOT_DIR}/{{endpoint}}_{{years}}y/labels.tsv",
    output:
        auroc=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}/auroc.tsv",
        oof=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}/oof_predictions.parquet",
        weights=f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}/omics_weights.tsv",
    params:
        seed=config["seed"],
        cfg=MOT_FIT,
    log:
        f"{LOGS}/motlab/{{endpoint}}_{{years}}y/{{scheme}}/evaluate.log",
    benchmark:
        f"{BENCH}/motlab/{{endpoint}}_{{years}}y/{{scheme}}/evaluate.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
    threads: 1
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/motlab_evaluate.py"


# Both SMOTE options of a scheme in one job (one TensorFlow start-up).
rule motlab_final_model:
    input:
        layers=MOT_LAYERS,
        cohort=f"{MOT_DIR}/cohort.tsv",
        labels=f"{MOT_DIR}/{{endpoint}}_{{years}}y/labels.tsv",
    output:
        models=expand(
            f"{MOT_DIR}/{{{{endpoint}}}}_{{{{years}}}}y/{{{{scheme}}}}_{{smote}}/model/{{file}}",
            smote=["nosmote", "smote"],
            file=["model.keras", "preprocessing.npz", "preprocessing.json"],
        ),
    params:
        seed=config["seed"],
        cfg=MOT_FIT,
    log:
        f"{LOGS}/motlab/{{endpoint}}_{{years}}y/{{scheme}}/final_model.log",
    benchmark:
        f"{BENCH}/motlab/{{endpoint}}_{{years}}y/{{scheme}}/final_model.tsv"
    resources:
        mem_mb=4000,
        runtime=30,
    threads: 1
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/motlab_final_model.py"


rule motlab_summary:
    input:
        auroc=expand(
            f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}/auroc.tsv",
            endpoint=MOT["endpoints"],
            years=MOT["years"],
            scheme=MOT["schemes"],
        ),
        oof=expand(
            f"{MOT_DIR}/{{endpoint}}_{{years}}y/{{scheme}}/oof_predictions.parquet",
            endpoint=MOT["endpoints"],
            years=MOT["years"],
            scheme=MOT["schemes"],
        ),
    output:
        table=f"{MOT_DIR}/auroc_summary.tsv",
        parquet=f"{MOT_DIR}/auroc_summary.parquet",
        per_repeat=f"{MOT_DIR}/auroc_per_repeat.tsv",
        figure=report(
            f"{MOT_DIR}/auroc_by_scheme.png",
            caption="../report/motlab_auroc_by_scheme.rst",
            category="4. MOTLAB",
            subcategory="Summary",
        ),
        roc=report(
            f"{MOT_DIR}/roc_curves.png",
            caption="../report/motlab_roc.rst",
            category="4. MOTLAB",
            subcategory="Summary",
        ),
    log:
        f"{LOGS}/motlab/summary.log",
    benchmark:
        f"{BENCH}/motlab/summary.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    threads: 1
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/motlab_summary.py"
