# Integrated Gradients on every checkpoint: pixel attributions are gene attributions, tested
# against the model in the same job (deletion and insertion curves, against the DE ranking's and
# random pixel orders); each checkpoint's IG gene ranking is then checked against the DE ranking.

# The settings the attributions depend on: changing the DE check's k reruns no IG job.
IG_EXPLAIN = {k: v for k, v in IG.items() if k != "de_top_k"}


rule integrated_gradients:
    input:
        **{k: p for k, p in paths.checkpoint_files(paths.SINGLE).items() if k != "history"},
        **{k: p for k, p in paths.image_files(paths.SINGLE).items() if k != "val"},
        predictions=paths.evaluation_files(paths.SINGLE)["predictions"],
        matrix=paths.features(PC["matrix"]),
        de=paths.DE_FILES["genes"],
    output:
        **{
            k: p
            for k, p in paths.ig_files().items()
            if k not in ("grid", "classes", "de_agreement", "faithfulness_plot")
        },
        grid=annotated(paths.ig_files()["grid"], "ig_grid", labels={"layout": "{layout}", "model": "{backbone}"}),
        faithfulness_plot=annotated(
            paths.ig_files()["faithfulness_plot"],
            "ig_faithfulness_plot",
            labels={"layout": "{layout}", "model": "{backbone}"},
        ),
        classes=directory(paths.ig_files()["classes"]),
    log:
        paths.log("pancancer/{layout}/{backbone}/ig"),
    benchmark:
        paths.benchmark("pancancer/{layout}/{backbone}/ig")
    conda:
        DL_ENV
    threads: TF_THREADS
    resources:
        **job_requests("integrated_gradients"),
        gpu=GPU,
    params:
        cfg=IG_EXPLAIN,
        seed=config["seed"],
    script:
        "../scripts/integrated_gradients.py"


# One-vs-rest differential expression of every class on the training split: the data's own
# gene ranking, the same for every checkpoint.
rule de_ranking:
    input:
        matrix=paths.features(PC["matrix"]),
        split=paths.split(),
    output:
        **paths.DE_FILES,
    log:
        paths.log("pancancer/de_ranking"),
    benchmark:
        paths.benchmark("pancancer/de_ranking")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("de_ranking"),
    params:
        top=IG["top_genes"],
    script:
        "../scripts/de_ranking.py"


rule ig_de_agreement:
    input:
        ig=paths.ig_files()["genes"],
        de=paths.DE_FILES["genes"],
    output:
        agreement=paths.ig_files()["de_agreement"],
    log:
        paths.log("pancancer/{layout}/{backbone}/ig_de_agreement"),
    benchmark:
        paths.benchmark("pancancer/{layout}/{backbone}/ig_de_agreement")
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        **job_requests("ig_de_agreement"),
    params:
        top_k=IG["de_top_k"],
    script:
        "../scripts/ig_de_agreement.py"
