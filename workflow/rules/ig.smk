# Integrated Gradients on every checkpoint: pixel attributions are gene attributions.


rule integrated_gradients:
    input:
        model=f"{PC_DIR}/{{layout}}/{{backbone}}/model.keras",
        predictions=f"{PC_DIR}/{{layout}}/{{backbone}}/predictions.parquet",
        images=rules.gene_images.output,
        layout=f"{PC_DIR}/{{layout}}/layout.parquet",
    output:
        genes=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/genes.parquet",
        top=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/top_genes.tsv",
        completeness=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/completeness.tsv",
        grid=f"{PC_DIR}/{{layout}}/{{backbone}}/ig/grid.png",
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
