# Pan-cancer tumour-type classification: split -> gene layouts -> image tensors ->
# fine-tuned ImageNet backbones -> metrics, beside a logistic-regression baseline.
PC_DIR = f"{RESULTS}/pancancer"


rule pancancer_split:
    input:
        labels=f"{RESULTS}/features/{PC['matrix']}.labels.tsv",
    output:
        split=f"{PC_DIR}/split.tsv",
        dropped=f"{PC_DIR}/split_dropped_classes.tsv",
    params:
        seed=config["seed"],
        train=PC["train_fraction"],
        val=PC["val_fraction"],
        min_class_size=PC["min_class_size"],
        cv_folds=PC["cv_folds"],
        cv_repeats=PC["cv_repeats"],
    log:
        f"{LOGS}/pancancer/split.log",
    benchmark:
        f"{BENCH}/pancancer/split.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/pancancer_split.py"


rule gene_layout:
    wildcard_constraints:
        layout="alphabetical|similarity",
    input:
        matrix=f"{RESULTS}/features/{PC['matrix']}.parquet",
        split=f"{PC_DIR}/split.tsv",
    output:
        layout=f"{PC_DIR}/{{layout}}/layout.parquet",
        scaling=f"{PC_DIR}/{{layout}}/scaling.parquet",
    params:
        seed=config["seed"],
        scaling=PC["scaling"],
        method=PC["similarity_method"],
        grid=PC["grid_size"],
    log:
        f"{LOGS}/pancancer/{{layout}}/layout.log",
    benchmark:
        f"{BENCH}/pancancer/{{layout}}/layout.tsv"
    resources:
        mem_mb=8000,
        runtime=60,
    threads: 2
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/gene_layout.py"


rule gene_images:
    input:
        matrix=f"{RESULTS}/features/{PC['matrix']}.parquet",
        split=f"{PC_DIR}/split.tsv",
        layout=f"{PC_DIR}/{{layout}}/layout.parquet",
        scaling=f"{PC_DIR}/{{layout}}/scaling.parquet",
    output:
        train=f"{PC_DIR}/{{layout}}/images/train.npy",
        val=f"{PC_DIR}/{{layout}}/images/val.npy",
        test=f"{PC_DIR}/{{layout}}/images/test.npy",
        index=f"{PC_DIR}/{{layout}}/images/index.tsv",
    log:
        f"{LOGS}/pancancer/{{layout}}/images.log",
    benchmark:
        f"{BENCH}/pancancer/{{layout}}/images.tsv"
    resources:
        mem_mb=8000,
        runtime=30,
    threads: 1
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/gene_images.py"


rule train_backbone:
    input:
        train=f"{PC_DIR}/{{layout}}/images/train.npy",
        val=f"{PC_DIR}/{{layout}}/images/val.npy",
        index=f"{PC_DIR}/{{layout}}/images/index.tsv",
        layout=f"{PC_DIR}/{{layout}}/layout.parquet",
        scaling=f"{PC_DIR}/{{layout}}/scaling.parquet",
    output:
        # The checkpoint: the model plus the layout and scaling it needs (tcgatl-classify).
        model=f"{PC_DIR}/{{layout}}/{{backbone}}/model.keras",
        layout=f"{PC_DIR}/{{layout}}/{{backbone}}/layout.parquet",
        scaling=f"{PC_DIR}/{{layout}}/{{backbone}}/scaling.parquet",
        meta=f"{PC_DIR}/{{layout}}/{{backbone}}/checkpoint.json",
        history=f"{PC_DIR}/{{layout}}/{{backbone}}/history.tsv",
    params:
        seed=config["seed"],
        cfg=PC_TRAIN,
        features=layer_spec(PC["matrix"])["features"],
    log:
        f"{LOGS}/pancancer/{{layout}}/{{backbone}}/train.log",
    benchmark:
        f"{BENCH}/pancancer/{{layout}}/{{backbone}}/train.tsv"
    resources:
        mem_mb=16000,
        runtime=720,
        gpu=GPU,
    threads: 2
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/train_backbone.py"


rule evaluate_backbone:
    input:
        model=f"{PC_DIR}/{{layout}}/{{backbone}}/model.keras",
        layout=f"{PC_DIR}/{{layout}}/{{backbone}}/layout.parquet",
        scaling=f"{PC_DIR}/{{layout}}/{{backbone}}/scaling.parquet",
        meta=f"{PC_DIR}/{{layout}}/{{backbone}}/checkpoint.json",
        test=f"{PC_DIR}/{{layout}}/images/test.npy",
        index=f"{PC_DIR}/{{layout}}/images/index.tsv",
    output:
        metrics=f"{PC_DIR}/{{layout}}/{{backbone}}/metrics.json",
        table=f"{PC_DIR}/{{layout}}/{{backbone}}/metrics.tsv",
        per_class=f"{PC_DIR}/{{layout}}/{{backbone}}/per_class.tsv",
        confusion=f"{PC_DIR}/{{layout}}/{{backbone}}/confusion.tsv",
        predictions=f"{PC_DIR}/{{layout}}/{{backbone}}/predictions.parquet",
    params:
        seed=config["seed"],
        bootstrap=PC["bootstrap"],
    log:
        f"{LOGS}/pancancer/{{layout}}/{{backbone}}/evaluate.log",
    benchmark:
        f"{BENCH}/pancancer/{{layout}}/{{backbone}}/evaluate.tsv"
    resources:
        mem_mb=8000,
        runtime=60,
        gpu=GPU,
    threads: 2
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/evaluate_backbone.py"


rule baseline_logreg:
    input:
        matrix=f"{RESULTS}/features/{PC['matrix']}.parquet",
        split=f"{PC_DIR}/split.tsv",
    output:
        metrics=f"{PC_DIR}/baseline/metrics.json",
        table=f"{PC_DIR}/baseline/metrics.tsv",
        per_class=f"{PC_DIR}/baseline/per_class.tsv",
        confusion=f"{PC_DIR}/baseline/confusion.tsv",
        predictions=f"{PC_DIR}/baseline/predictions.parquet",
    params:
        seed=config["seed"],
        bootstrap=PC["bootstrap"],
    log:
        f"{LOGS}/pancancer/baseline.log",
    benchmark:
        f"{BENCH}/pancancer/baseline.tsv"
    resources:
        mem_mb=8000,
        runtime=60,
    threads: 2
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/baseline_logreg.py"
