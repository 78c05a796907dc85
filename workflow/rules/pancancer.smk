# Pan-cancer tumour-type classification: split -> gene layouts -> image tensors ->
# fine-tuned ImageNet backbones -> metrics, beside a logistic-regression baseline.
# Every output path comes from tcgatl.paths.


rule pancancer_split:
    input:
        labels=paths.features(PC["matrix"], "labels"),
    output:
        split=paths.split(),
        dropped=paths.split_dropped(),
    log:
        paths.log("pancancer/split"),
    benchmark:
        paths.benchmark("pancancer/split")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("pancancer_split"),
    params:
        seed=config["seed"],
        train=PC["train_fraction"],
        val=PC["val_fraction"],
        min_class_size=PC["min_class_size"],
        max_class_size=PC["max_class_size"],
    script:
        "../scripts/pancancer_split.py"


# The models are built once on the single split and, with pancancer.cv_folds, on every
# cross-validation fold: each fold is a split of its own, and every model is rebuilt on it
# (layouts and scaling refitted on the fold's training part) under
# results/pancancer/cv/r<repeat>_f<fold>/ (the partition prefix). The same rules serve both, the
# fold's named cv_<rule>. Fold images are temporary: at TCGA size each fold's tensors are ~1 GB
# per layout. IG stays on the single split's models.
for part, rule_prefix in ((paths.SINGLE, ""), (paths.CV_FOLD, "cv_")):
    fold_temp = temp if part else str

    rule:
        name:
            f"{rule_prefix}gene_layout"
        input:
            matrix=paths.features(PC["matrix"]),
            split=paths.split(part),
        output:
            **paths.layout_files(part),
        log:
            paths.log(paths.pancancer_step(part, "{layout}/layout")),
        benchmark:
            paths.benchmark(paths.pancancer_step(part, "{layout}/layout"))
        conda:
            "../../envs/data.yaml"
        threads: 2
        resources:
            **job_requests(f"{rule_prefix}gene_layout"),
        params:
            seed=config["seed"],
            scaling=PC["scaling"],
            # The similarity keys only for the similarity layout: changing them reruns nothing else.
            method=lambda w: PC["similarity_method"] if w.layout == "similarity" else None,
            assignment=lambda w: PC["similarity_assignment"] if w.layout == "similarity" else None,
            grid=lambda w: PC["grid_size"] if w.layout == "similarity" else None,
        script:
            "../scripts/gene_layout.py"

    rule:
        name:
            f"{rule_prefix}gene_images"
        input:
            **paths.layout_files(part),
            matrix=paths.features(PC["matrix"]),
            split=paths.split(part),
        output:
            **{k: p if k == "index" else fold_temp(p) for k, p in paths.image_files(part).items()},
        log:
            paths.log(paths.pancancer_step(part, "{layout}/images")),
        benchmark:
            paths.benchmark(paths.pancancer_step(part, "{layout}/images"))
        conda:
            "../../envs/data.yaml"
        threads: 1
        resources:
            **job_requests(f"{rule_prefix}gene_images"),
        script:
            "../scripts/gene_images.py"

    rule:
        name:
            f"{rule_prefix}train_backbone"
        input:
            **{k: p for k, p in paths.image_files(part).items() if k != "test"},
            **paths.layout_files(part),
            weights=imagenet_weights_input,
        output:
            # The checkpoint: the model plus the layout and scaling it needs (tcgatl-classify).
            **paths.checkpoint_files(part),
        log:
            paths.log(paths.pancancer_step(part, "{layout}/{backbone}/train")),
        benchmark:
            paths.benchmark(paths.pancancer_step(part, "{layout}/{backbone}/train"))
        conda:
            DL_ENV
        threads: TF_THREADS
        resources:
            **job_requests(f"{rule_prefix}train_backbone"),
            gpu=GPU,
        params:
            seed=config["seed"],
            cfg=PC_TRAIN,
            features=layer_spec(PC["matrix"])["features"],
        script:
            "../scripts/train_backbone.py"

    rule:
        name:
            f"{rule_prefix}evaluate_backbone"
        input:
            **{k: p for k, p in paths.checkpoint_files(part).items() if k != "history"},
            **{k: p for k, p in paths.image_files(part).items() if k in ("test", "index")},
        output:
            **paths.evaluation_files(part),
        log:
            paths.log(paths.pancancer_step(part, "{layout}/{backbone}/evaluate")),
        benchmark:
            paths.benchmark(paths.pancancer_step(part, "{layout}/{backbone}/evaluate"))
        conda:
            DL_ENV
        threads: TF_THREADS
        resources:
            **job_requests(f"{rule_prefix}evaluate_backbone"),
            gpu=GPU,
        params:
            seed=config["seed"],
            bootstrap=PC["bootstrap"],
        script:
            "../scripts/evaluate_backbone.py"

    rule:
        name:
            f"{rule_prefix}baseline_logreg"
        input:
            matrix=paths.features(PC["matrix"]),
            split=paths.split(part),
        output:
            **paths.baseline_files(part),
        log:
            paths.log(paths.pancancer_step(part, "baseline")),
        benchmark:
            paths.benchmark(paths.pancancer_step(part, "baseline"))
        conda:
            "../../envs/data.yaml"
        threads: 2
        resources:
            **job_requests(f"{rule_prefix}baseline_logreg"),
        params:
            seed=config["seed"],
            bootstrap=PC["bootstrap"],
        script:
            "../scripts/baseline_logreg.py"


rule pancancer_cv_folds:
    input:
        split=paths.split(),
    output:
        folds=paths.CV_FILES["folds"],
    log:
        paths.log("pancancer/cv/folds"),
    benchmark:
        paths.benchmark("pancancer/cv/folds")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("pancancer_cv_folds"),
    params:
        seed=config["seed"],
        folds=PC["cv_folds"],
        repeats=PC["cv_repeats"],
    script:
        "../scripts/pancancer_cv_folds.py"


rule pancancer_fold_split:
    input:
        folds=paths.CV_FILES["folds"],
    output:
        split=paths.split(paths.CV_FOLD),
    log:
        paths.log(paths.pancancer_step(paths.CV_FOLD, "split")),
    benchmark:
        paths.benchmark(paths.pancancer_step(paths.CV_FOLD, "split"))
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("pancancer_fold_split"),
    params:
        seed=config["seed"],
        train=PC["train_fraction"],
        val=PC["val_fraction"],
    script:
        "../scripts/pancancer_fold_split.py"


rule pancancer_cv_summary:
    input:
        metrics=[path for _, path in pancancer_cv_metrics()],
    output:
        per_fold=paths.CV_FILES["per_fold"],
        summary=paths.CV_FILES["summary"],
    log:
        paths.log("pancancer/cv/summary"),
    benchmark:
        paths.benchmark("pancancer/cv/summary")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("pancancer_cv_summary"),
    params:
        runs=[list(key) for key, _ in pancancer_cv_metrics()],
        folds=PC["cv_folds"],
        # fold_split: of the other folds, val / (train + val) is validation, the rest trains.
        train_share=PC["train_fraction"] / (PC["train_fraction"] + PC["val_fraction"]),
    script:
        "../scripts/pancancer_cv_summary.py"
