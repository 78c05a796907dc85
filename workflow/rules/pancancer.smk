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
        cv_folds=PC["cv_folds"],
        cv_repeats=PC["cv_repeats"],
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
