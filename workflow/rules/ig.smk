# Integrated Gradients on every checkpoint: pixel attributions are gene attributions; each
# checkpoint's IG gene ranking is then checked against a differential-expression ranking.

# The settings the attributions depend on: changing the DE check's k reruns no IG job.
IG_EXPLAIN = {k: v for k, v in IG.items() if k != "de_top_k"}


rule integrated_gradients:
    input:
        model="results/pancancer/{layout}/{backbone}/model.keras",
        layout="results/pancancer/{layout}/{backbone}/layout.parquet",
        scaling="results/pancancer/{layout}/{backbone}/scaling.parquet",
        meta="results/pancancer/{layout}/{backbone}/checkpoint.json",
        predictions="results/pancancer/{layout}/{backbone}/predictions.parquet",
        test="results/pancancer/{layout}/images/test.npy",
        train="results/pancancer/{layout}/images/train.npy",
        index="results/pancancer/{layout}/images/index.tsv",
        matrix=f"results/features/{PC['matrix']}.parquet",
    output:
        genes="results/pancancer/{layout}/{backbone}/ig/genes.parquet",
        genes_tsv="results/pancancer/{layout}/{backbone}/ig/genes.tsv",
        top="results/pancancer/{layout}/{backbone}/ig/top_genes.tsv",
        completeness="results/pancancer/{layout}/{backbone}/ig/completeness.tsv",
        attributions="results/pancancer/{layout}/{backbone}/ig/attributions.npy",
        grid=annotated(
            "results/pancancer/{layout}/{backbone}/ig/grid.png",
            "ig_grid",
            labels={"layout": "{layout}", "model": "{backbone}"},
        ),
        classes=directory("results/pancancer/{layout}/{backbone}/ig/classes"),
    log:
        "results/logs/pancancer/{layout}/{backbone}/ig.log",
    benchmark:
        "results/benchmarks/pancancer/{layout}/{backbone}/ig.tsv"
    conda:
        "../../envs/dl.yaml"
    threads: TF_THREADS
    resources:
        mem_mb=16000,
        runtime=240,
        gpu=GPU,
    params:
        cfg=IG_EXPLAIN,
    script:
        "../scripts/integrated_gradients.py"


# One-vs-rest differential expression of every class on the training split: the data's own
# gene ranking, the same for every checkpoint.
rule de_ranking:
    input:
        matrix=f"results/features/{PC['matrix']}.parquet",
        split="results/pancancer/split.tsv",
    output:
        genes="results/pancancer/de/genes.parquet",
        top="results/pancancer/de/top_genes.tsv",
    log:
        "results/logs/pancancer/de_ranking.log",
    benchmark:
        "results/benchmarks/pancancer/de_ranking.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        top=IG["top_genes"],
    script:
        "../scripts/de_ranking.py"


rule ig_de_agreement:
    input:
        ig="results/pancancer/{layout}/{backbone}/ig/genes.parquet",
        de="results/pancancer/de/genes.parquet",
    output:
        agreement="results/pancancer/{layout}/{backbone}/ig/de_agreement.tsv",
    log:
        "results/logs/pancancer/{layout}/{backbone}/ig_de_agreement.log",
    benchmark:
        "results/benchmarks/pancancer/{layout}/{backbone}/ig_de_agreement.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        top_k=IG["de_top_k"],
    script:
        "../scripts/ig_de_agreement.py"
