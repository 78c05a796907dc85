# MOTLAB: multi-omics prognosis, pretrained on EA and adapted to AA patients.
MOT_LAYERS = [paths.features(layer) for layer in MOT["layers"]]
# (endpoint, years, scheme) of every cross-validated evaluation.
MOT_RUNS = [(ep, y, s) for ep in MOT["endpoints"] for y in MOT["years"] for s in MOT["schemes"]]


rule motlab_cohort:
    input:
        **raw_inputs("ancestry") if MOT["ancestry_source"] == "eigenstrat" else {},
        layers=MOT_LAYERS,
        samples=[paths.features(layer, "labels") for layer in MOT["layers"]],
        clinical=MOT_CLINICAL,
    output:
        **paths.COHORT_FILES,
    log:
        paths.log("motlab/cohort"),
    benchmark:
        paths.benchmark("motlab/cohort")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("motlab_cohort"),
    params:
        cfg=MOT_FIT,
    script:
        "../scripts/motlab_cohort.py"


rule motlab_labels:
    input:
        cohort=paths.COHORT_FILES["cohort"],
        clinical=MOT_CLINICAL,
    output:
        **paths.label_files(),
    log:
        paths.log("motlab/{endpoint}_{years}y/labels"),
    benchmark:
        paths.benchmark("motlab/{endpoint}_{years}y/labels")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("motlab_labels"),
    script:
        "../scripts/motlab_labels.py"


# One job per scheme runs both SMOTE options: they share every fold's preprocessing.
rule motlab_evaluate:
    input:
        layers=MOT_LAYERS,
        cohort=paths.COHORT_FILES["cohort"],
        labels=paths.label_files()["labels"],
    output:
        **paths.scheme_files(),
    log:
        paths.log("motlab/{endpoint}_{years}y/{scheme}/evaluate"),
    benchmark:
        paths.benchmark("motlab/{endpoint}_{years}y/{scheme}/evaluate")
    conda:
        "../../envs/dl.yaml"
    threads: 1
    resources:
        **job_requests("motlab_evaluate"),
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
        cohort=paths.COHORT_FILES["cohort"],
        labels=paths.label_files()["labels"],
    output:
        models=[
            paths.final_model(scheme=scheme, smote=smote, file=file)
            for scheme in MOT["schemes"]
            for smote in SMOTE_OPTIONS
            for file in paths.FINAL_MODEL_FILES
        ],
    log:
        paths.log("motlab/{endpoint}_{years}y/final_models"),
    benchmark:
        paths.benchmark("motlab/{endpoint}_{years}y/final_models")
    conda:
        "../../envs/dl.yaml"
    threads: 1
    resources:
        **job_requests("motlab_final_model"),
    params:
        seed=config["seed"],
        cfg=MOT_FIT,
        schemes=MOT["schemes"],
    script:
        "../scripts/motlab_final_model.py"


rule motlab_summary:
    input:
        auroc=[paths.scheme_files(*run)["auroc"] for run in MOT_RUNS],
        oof=[paths.scheme_files(*run)["oof"] for run in MOT_RUNS],
    output:
        **{k: p for k, p in paths.SUMMARY_FILES.items() if k not in ("figure", "roc")},
        figure=annotated(paths.SUMMARY_FILES["figure"], "motlab_auroc_by_scheme"),
        roc=annotated(paths.SUMMARY_FILES["roc"], "motlab_roc"),
    log:
        paths.log("motlab/summary"),
    benchmark:
        paths.benchmark("motlab/summary")
    conda:
        "../../envs/dl.yaml"
    threads: 1
    resources:
        **job_requests("motlab_summary"),
    params:
        seed=config["seed"],
        n_boot=MOT["paired_bootstrap"],
    script:
        "../scripts/motlab_summary.py"
