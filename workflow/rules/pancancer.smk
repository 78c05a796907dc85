# Pan-cancer tumour-type classification: split -> gene layouts -> image tensors ->
# fine-tuned ImageNet backbones -> metrics, beside a logistic-regression baseline.


rule pancancer_split:
    input:
        labels=f"results/features/{PC['matrix']}.labels.tsv",
    output:
        split="results/pancancer/split.tsv",
        dropped="results/pancancer/split_dropped_classes.tsv",
    log:
        "results/logs/pancancer/split.log",
    benchmark:
        "results/benchmarks/pancancer/split.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        seed=config["seed"],
        train=PC["train_fraction"],
        val=PC["val_fraction"],
        min_class_size=PC["min_class_size"],
    script:
        "../scripts/pancancer_split.py"


rule gene_layout:
    input:
        matrix=f"results/features/{PC['matrix']}.parquet",
        split="results/pancancer/split.tsv",
    output:
        layout="results/pancancer/{layout}/layout.parquet",
        scaling="results/pancancer/{layout}/scaling.parquet",
    log:
        "results/logs/pancancer/{layout}/layout.log",
    benchmark:
        "results/benchmarks/pancancer/{layout}/layout.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        seed=config["seed"],
        scaling=PC["scaling"],
        # The similarity keys only for the similarity layout: changing them reruns nothing else.
        method=lambda w: PC["similarity_method"] if w.layout == "similarity" else None,
        assignment=lambda w: PC["similarity_assignment"] if w.layout == "similarity" else None,
        grid=lambda w: PC["grid_size"] if w.layout == "similarity" else None,
    script:
        "../scripts/gene_layout.py"


rule gene_images:
    input:
        matrix=f"results/features/{PC['matrix']}.parquet",
        split="results/pancancer/split.tsv",
        layout="results/pancancer/{layout}/layout.parquet",
        scaling="results/pancancer/{layout}/scaling.parquet",
    output:
        train="results/pancancer/{layout}/images/train.npy",
        val="results/pancancer/{layout}/images/val.npy",
        test="results/pancancer/{layout}/images/test.npy",
        index="results/pancancer/{layout}/images/index.tsv",
    log:
        "results/logs/pancancer/{layout}/images.log",
    benchmark:
        "results/benchmarks/pancancer/{layout}/images.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    script:
        "../scripts/gene_images.py"


rule train_backbone:
    input:
        train="results/pancancer/{layout}/images/train.npy",
        val="results/pancancer/{layout}/images/val.npy",
        index="results/pancancer/{layout}/images/index.tsv",
        layout="results/pancancer/{layout}/layout.parquet",
        scaling="results/pancancer/{layout}/scaling.parquet",
    output:
        # The checkpoint: the model plus the layout and scaling it needs (tcgatl-classify).
        model="results/pancancer/{layout}/{backbone}/model.keras",
        layout="results/pancancer/{layout}/{backbone}/layout.parquet",
        scaling="results/pancancer/{layout}/{backbone}/scaling.parquet",
        meta="results/pancancer/{layout}/{backbone}/checkpoint.json",
        history="results/pancancer/{layout}/{backbone}/history.tsv",
    log:
        "results/logs/pancancer/{layout}/{backbone}/train.log",
    benchmark:
        "results/benchmarks/pancancer/{layout}/{backbone}/train.tsv"
    conda:
        "../../envs/dl.yaml"
    threads: TF_THREADS
    resources:
        mem_mb=16000,
        runtime=720,
        gpu=GPU,
    params:
        seed=config["seed"],
        cfg=PC_TRAIN,
        features=layer_spec(PC["matrix"])["features"],
    script:
        "../scripts/train_backbone.py"


rule evaluate_backbone:
    input:
        model="results/pancancer/{layout}/{backbone}/model.keras",
        layout="results/pancancer/{layout}/{backbone}/layout.parquet",
        scaling="results/pancancer/{layout}/{backbone}/scaling.parquet",
        meta="results/pancancer/{layout}/{backbone}/checkpoint.json",
        test="results/pancancer/{layout}/images/test.npy",
        index="results/pancancer/{layout}/images/index.tsv",
    output:
        metrics="results/pancancer/{layout}/{backbone}/metrics.json",
        table="results/pancancer/{layout}/{backbone}/metrics.tsv",
        per_class="results/pancancer/{layout}/{backbone}/per_class.tsv",
        confusion="results/pancancer/{layout}/{backbone}/confusion.tsv",
        predictions="results/pancancer/{layout}/{backbone}/predictions.parquet",
    log:
        "results/logs/pancancer/{layout}/{backbone}/evaluate.log",
    benchmark:
        "results/benchmarks/pancancer/{layout}/{backbone}/evaluate.tsv"
    conda:
        "../../envs/dl.yaml"
    threads: TF_THREADS
    resources:
        mem_mb=8000,
        runtime=60,
        gpu=GPU,
    params:
        seed=config["seed"],
        bootstrap=PC["bootstrap"],
    script:
        "../scripts/evaluate_backbone.py"


rule baseline_logreg:
    input:
        matrix=f"results/features/{PC['matrix']}.parquet",
        split="results/pancancer/split.tsv",
    output:
        metrics="results/pancancer/baseline/metrics.json",
        table="results/pancancer/baseline/metrics.tsv",
        per_class="results/pancancer/baseline/per_class.tsv",
        confusion="results/pancancer/baseline/confusion.tsv",
        predictions="results/pancancer/baseline/predictions.parquet",
    log:
        "results/logs/pancancer/baseline.log",
    benchmark:
        "results/benchmarks/pancancer/baseline.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        seed=config["seed"],
        bootstrap=PC["bootstrap"],
    script:
        "../scripts/baseline_logreg.py"


# Cross-validation (pancancer.cv_folds > 0): each fold is a split of its own, and every model
# above is rebuilt on it (layouts and scaling refitted on the fold's training part) under
# results/pancancer/cv/r<repeat>_f<fold>/. Fold images are temporary: at TCGA size each fold's
# tensors are ~1 GB per layout. IG stays on the single split's models.
rule pancancer_cv_folds:
    input:
        split="results/pancancer/split.tsv",
    output:
        folds="results/pancancer/cv/folds.tsv",
    log:
        "results/logs/pancancer/cv/folds.log",
    benchmark:
        "results/benchmarks/pancancer/cv/folds.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        seed=config["seed"],
        folds=PC["cv_folds"],
        repeats=PC["cv_repeats"],
    script:
        "../scripts/pancancer_cv_folds.py"


rule pancancer_fold_split:
    input:
        folds="results/pancancer/cv/folds.tsv",
    output:
        split="results/pancancer/cv/r{repeat}_f{fold}/split.tsv",
    log:
        "results/logs/pancancer/cv/r{repeat}_f{fold}/split.log",
    benchmark:
        "results/benchmarks/pancancer/cv/r{repeat}_f{fold}/split.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        seed=config["seed"],
        train=PC["train_fraction"],
        val=PC["val_fraction"],
    script:
        "../scripts/pancancer_fold_split.py"


use rule gene_layout as cv_gene_layout with:
    input:
        matrix=f"results/features/{PC['matrix']}.parquet",
        split="results/pancancer/cv/r{repeat}_f{fold}/split.tsv",
    output:
        layout="results/pancancer/cv/r{repeat}_f{fold}/{layout}/layout.parquet",
        scaling="results/pancancer/cv/r{repeat}_f{fold}/{layout}/scaling.parquet",
    log:
        "results/logs/pancancer/cv/r{repeat}_f{fold}/{layout}/layout.log",
    benchmark:
        "results/benchmarks/pancancer/cv/r{repeat}_f{fold}/{layout}/layout.tsv"


use rule gene_images as cv_gene_images with:
    input:
        matrix=f"results/features/{PC['matrix']}.parquet",
        split="results/pancancer/cv/r{repeat}_f{fold}/split.tsv",
        layout="results/pancancer/cv/r{repeat}_f{fold}/{layout}/layout.parquet",
        scaling="results/pancancer/cv/r{repeat}_f{fold}/{layout}/scaling.parquet",
    output:
        train=temp("results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/train.npy"),
        val=temp("results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/val.npy"),
        test=temp("results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/test.npy"),
        index="results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/index.tsv",
    log:
        "results/logs/pancancer/cv/r{repeat}_f{fold}/{layout}/images.log",
    benchmark:
        "results/benchmarks/pancancer/cv/r{repeat}_f{fold}/{layout}/images.tsv"


use rule train_backbone as cv_train_backbone with:
    input:
        train="results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/train.npy",
        val="results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/val.npy",
        index="results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/index.tsv",
        layout="results/pancancer/cv/r{repeat}_f{fold}/{layout}/layout.parquet",
        scaling="results/pancancer/cv/r{repeat}_f{fold}/{layout}/scaling.parquet",
    output:
        model="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/model.keras",
        layout="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/layout.parquet",
        scaling="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/scaling.parquet",
        meta="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/checkpoint.json",
        history="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/history.tsv",
    log:
        "results/logs/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/train.log",
    benchmark:
        "results/benchmarks/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/train.tsv"


use rule evaluate_backbone as cv_evaluate_backbone with:
    input:
        model="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/model.keras",
        layout="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/layout.parquet",
        scaling="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/scaling.parquet",
        meta="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/checkpoint.json",
        test="results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/test.npy",
        index="results/pancancer/cv/r{repeat}_f{fold}/{layout}/images/index.tsv",
    output:
        metrics="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/metrics.json",
        table="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/metrics.tsv",
        per_class="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/per_class.tsv",
        confusion="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/confusion.tsv",
        predictions="results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/predictions.parquet",
    log:
        "results/logs/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/evaluate.log",
    benchmark:
        "results/benchmarks/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/evaluate.tsv"


use rule baseline_logreg as cv_baseline_logreg with:
    input:
        matrix=f"results/features/{PC['matrix']}.parquet",
        split="results/pancancer/cv/r{repeat}_f{fold}/split.tsv",
    output:
        metrics="results/pancancer/cv/r{repeat}_f{fold}/baseline/metrics.json",
        table="results/pancancer/cv/r{repeat}_f{fold}/baseline/metrics.tsv",
        per_class="results/pancancer/cv/r{repeat}_f{fold}/baseline/per_class.tsv",
        confusion="results/pancancer/cv/r{repeat}_f{fold}/baseline/confusion.tsv",
        predictions="results/pancancer/cv/r{repeat}_f{fold}/baseline/predictions.parquet",
    log:
        "results/logs/pancancer/cv/r{repeat}_f{fold}/baseline.log",
    benchmark:
        "results/benchmarks/pancancer/cv/r{repeat}_f{fold}/baseline.tsv"


rule pancancer_cv_summary:
    input:
        metrics=[path for _, path in pancancer_cv_metrics()],
    output:
        per_fold="results/pancancer/cv/metrics_per_fold.tsv",
        summary="results/pancancer/cv/summary.tsv",
    log:
        "results/logs/pancancer/cv/summary.log",
    benchmark:
        "results/benchmarks/pancancer/cv/summary.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        runs=[list(key) for key, _ in pancancer_cv_metrics()],
        folds=PC["cv_folds"],
        # fold_split: of the other folds, val / (train + val) is validation, the rest trains.
        train_share=PC["train_fraction"] / (PC["train_fraction"] + PC["val_fraction"]),
    script:
        "../scripts/pancancer_cv_summary.py"
