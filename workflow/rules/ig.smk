# Integrated Gradients on every checkpoint: pixel attributions are gene attributions.


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
        cfg=IG,
    script:
        "../scripts/integrated_gradients.py"
