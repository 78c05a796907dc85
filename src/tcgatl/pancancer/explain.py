"""Explaining a checkpoint: IG on its correctly classified test samples, per-class maps and genes."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import plots
from ..errors import InputError, preview
from ..io import atomic_path, read_matrix, write_table
from . import ig, layouts
from .checkpoint import Checkpoint

log = logging.getLogger("tcgatl.pancancer.explain")


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))


@dataclass
class Explanation:
    samples: (
        pd.DataFrame
    )  # barcode, class, position, f_x, f_baseline, completeness_error, evaluations, intervals, converged
    attributions: np.ndarray  # (n, H, W)
    inputs: np.ndarray  # (n, H, W) the explained gene images
    genes: pd.DataFrame  # ranked genes per class
    mask: np.ndarray  # (H, W) True where a pixel holds a gene
    baseline: str
    title: str
    layout: pd.DataFrame  # gene, symbol, row, col of every gene in the image
    curves: pd.DataFrame | None = None  # deletion and insertion curves (faithfulness.curves)
    faithfulness: pd.DataFrame | None = None  # their summary (faithfulness.summary)

    def class_means(self):
        """(class, samples, mean image, mean attribution) over the converged samples of each class."""
        ok = self.samples["converged"].to_numpy(bool)
        cls = self.samples["class"].to_numpy()
        names = sorted(set(cls[ok]))
        return [
            (
                c,
                int((ok & (cls == c)).sum()),
                self.inputs[ok & (cls == c)].mean(0),
                self.attributions[ok & (cls == c)].mean(0),
            )
            for c in names
        ]

    def top_genes(self, name: str, k: int = 10) -> list[tuple[str, int, int]]:
        """(label, row, col) of class ``name``'s ``k`` top-ranked genes: "rank. symbol"."""
        top = self.genes[(self.genes["class"] == name) & (self.genes["rank"] <= k)]
        where = self.layout.set_index("gene")[["row", "col"]]

        def label(r) -> str:
            # EB++ names a gene without a symbol "?|<Entrez id>": shown by its Entrez id, as in the report.
            return r.symbol if isinstance(r.symbol, str) and r.symbol not in ("", "?") else r.gene.split("|")[-1]

        return [
            (
                f"{r.rank}. {label(r)}",
                int(where.at[r.gene, "row"]),
                int(where.at[r.gene, "col"]),
            )
            for r in top.itertuples()
        ]

    def write(self, out: dict, top: int) -> float:
        """Every output of rule integrated_gradients; returns the median completeness error."""
        write_table(self.genes, out["genes"])
        write_table(self.genes, out["genes_tsv"])
        write_table(self.genes[self.genes["rank"] <= top], out["top"])
        write_table(self.samples, out["completeness"])
        with atomic_path(out["attributions"]) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, self.attributions.astype(np.float32))
        means = self.class_means()
        plots.ig_grid(
            [m[0] for m in means], [m[1] for m in means], [m[3] for m in means], self.mask, out["grid"], self.title
        )
        folder = Path(out["classes"])
        folder.mkdir(parents=True, exist_ok=True)
        for name, n, image, attr in means:
            stem = folder / _file_name(name)
            genes = self.genes[self.genes["class"] == name]
            plots.save_figure(
                plots.ig_class_figure(image, attr, self.mask, name, n, self.baseline, self.top_genes(name)),
                f"{stem}.png",
            )
            write_table(genes, f"{stem}.genes.tsv")
            write_table(genes, f"{stem}.genes.parquet")
        if self.curves is not None:
            write_table(self.curves, out["faithfulness_curves"])
            write_table(self.faithfulness, out["faithfulness"])
            plots.faithfulness_figure(
                self.curves,
                self.title.replace("Integrated Gradients", "Deletion and insertion curves"),
                out["faithfulness_plot"],
            )
        return float(np.nanmedian(self.samples["completeness_error"])) if len(self.samples) else float("nan")


def float32_model(ck: Checkpoint):
    """The checkpoint's model in float32 (its own, or a float32 twin on its weights): IG's
    gradients and the curves that test them are computed at full precision."""
    if ck.meta.get("precision", "float32") == "float32":
        return ck.model
    from . import models

    log.info("float32 twin of the %s checkpoint", ck.meta["precision"])
    return models.float32_twin(ck.model, ck.meta["backbone"], ck.meta["image_size"])


def explain_checkpoint(
    checkpoint_dir,
    *,
    predictions,
    test_images,
    train_images,
    index,
    matrix,
    baseline="zero",
    steps=64,
    max_per_class=25,
    batch_size=64,
    blur_sigma=3.0,
    method="adaptive",
    tolerance=0.05,
    max_evaluations=24,
    de_genes=None,
    faithfulness_points=8,
    faithfulness_per_class=5,
    seed=0,
) -> Explanation:
    """IG of the checkpoint's correctly classified test samples; with ``de_genes`` (the DE
    ranking's genes.parquet) also their deletion and insertion curves (tcgatl.pancancer
    .faithfulness) on the same model, images and baselines."""
    ck = Checkpoint.load(checkpoint_dir)
    pred = pd.read_parquet(predictions)
    idx = pd.read_csv(index, sep="\t", dtype={"split": str})
    test = idx[idx["split"] == "test"].set_index("barcode")["position"]
    chosen = ig.select_samples(pred, max_per_class)
    missing = chosen.loc[~chosen["barcode"].isin(test.index), "barcode"]
    if len(missing):
        raise InputError(predictions, f"barcodes not among the test images of {index}: {preview(missing)}")
    skipped = sorted(set(pred["true"]) - set(chosen["true"]))
    if skipped:
        log.warning("no correctly classified test sample to explain for: %s", ", ".join(map(str, skipped)))
    positions = test.loc[chosen["barcode"]].to_numpy()
    x = np.asarray(np.load(test_images, mmap_mode="r")[positions], np.float32)
    mean = np.load(train_images, mmap_mode="r").mean(0) if baseline == "train_mean" else None
    b = ig.baseline_images(baseline, x, mean, blur_sigma)
    targets = np.array([ck.classes.index(c) for c in chosen["true"]])
    log.info(
        "explaining %d test samples of %d classes: %s rule, %s %d gradient evaluations per sample, baseline %s",
        len(x),
        chosen["true"].nunique(),
        method,
        "at most" if method == "adaptive" else "",
        ig.evaluations(method, steps, max_evaluations),
        baseline,
    )
    model = float32_model(ck)
    res = ig.integrated_gradients(
        model,
        x,
        targets,
        b,
        steps=steps,
        batch_size=batch_size,
        method=method,
        tolerance=tolerance,
        max_evaluations=max_evaluations,
    )
    ok = res["converged"]
    if not ok.all():
        log.warning(
            "%d of %d samples above the completeness tolerance %.3g (%s): kept in completeness.tsv and "
            "attributions.npy, left out of the gene rankings and maps",
            int((~ok).sum()),
            len(ok),
            tolerance,
            preview(chosen["barcode"].to_numpy()[~ok]),
        )

    genes = ck.layout["gene"]
    values = read_matrix(matrix, columns=list(genes)).loc[chosen["barcode"]]
    scaled = layouts.scale(values, ck.scaling)
    gene_attr = ig.gene_attributions(res["avg_grad"], b, scaled, ck.layout, ck.shape)
    ranked = ig.rank_genes(pd.DataFrame(gene_attr[ok], columns=list(genes)), chosen["true"].to_numpy()[ok], ck.layout)

    mask = layouts.gene_mask(ck.layout, ck.shape)
    samples = pd.DataFrame(
        {
            "barcode": chosen["barcode"].to_numpy(),
            "class": chosen["true"].to_numpy(),
            "position": positions,
            "f_x": res["f_x"],
            "f_baseline": res["f_baseline"],
            "completeness_error": res["completeness_error"],
            "evaluations": res["evaluations"],
            "intervals": res["intervals"],
            "converged": ok,
        }
    )
    title = f"Integrated Gradients, {ck.meta.get('backbone', '')} on the {ck.meta.get('layout', '')} layout"
    curves = table = None
    if de_genes is not None:
        from . import faithfulness

        de = faithfulness.de_pixel_orders(
            pd.read_parquet(de_genes, columns=["class", "rank", "gene"]), ck.layout, ck.shape, de_genes
        )
        curves, table = faithfulness.for_explained(
            lambda images: model.predict(images, batch_size=batch_size, verbose=0),
            samples,
            x,
            b,
            res["attributions"],
            targets,
            mask,
            de,
            points=faithfulness_points,
            per_class=faithfulness_per_class,
            seed=seed,
            de_source=de_genes,
        )
    return Explanation(samples, res["attributions"], x, ranked, mask, baseline, title, ck.layout, curves, table)
