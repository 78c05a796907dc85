# Integrated Gradients on every checkpoint: pixel attributions are gene attributions.


rule integrated_gradients:
    input:
        model=f"{PC_DIR}/{{layout}}/{{backbone}}/model.keras",
        layout=f"{PC_DIR}/{{layout}}/{{backbone}}/layout.parquet",
        scaling=f"{PC_DIR}/{{layout}}/{{backbone}}/scaling.parquet",
        meta=f"{PC_DIR}/{{layout}}/{{backbone}}/checkpoint.json",
        predictions=f"{PC_DIR}/{{layout}}/{{backbone}}/predictions.parquet",
        test=f"{PC_DIR}/{{layout}}/images/test.npy",
        train=f"{PC_DIR}/{{layout}}/images/train.npy",
        index=f"{PC_DIR}/{{layout}}/images/index.tsv",
        matrix=f"{RESULTS}/features/{PC['matrix']}.parquet",
    output:
        genes=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/genes.parquet",
        genes_tsv=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/genes.tsv",
        top=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/top_genes.tsv",
        completeness=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/completeness.tsv",
        attributions=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/attributions.npy",
        grid=report(
            f"{PC_DIR}/{{layout}}/{{backbone}}/ig/grid.png",
            caption="../report/ig_grid.rst",
            category="3. Integrated Gradients",
            subcategory="Attribution maps",
            labels={"layout": "{layout}", "model": "{backbone}"},
        ),
        classes=directory(f"{PC_DIR}/{{layout}}/{{backbone}}/ig/classes"),
    params:
        cfg=IG,
    log:
        f"{LOGS}/pancancer/{{layout}}/{{backbone}}/ig.log",
    benchmark:
        f"{BENCH}/pancancer/{{layout}}/{{backbone}}/ig.tsv"
    resources:
        mem_mb=16000,
        runtime=240,
        gpu=GPU,
    threads: 2
    conda:
        "../../envs/dl.yaml"
    script:
        "../scripts/integrated_gradients.py"
