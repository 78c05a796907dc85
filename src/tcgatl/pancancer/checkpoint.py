"""A trained classifier with everything it needs to classify a new expression table.

A checkpoint folder holds ``model.keras`` (gene image -> class probabilities), the gene
layout and the scaling fitted on the training samples, and ``checkpoint.json`` (class names,
backbone, and how the raw table was turned into features). ``classify`` goes from a table to
predictions in one call.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..commandline import READING_ERRORS, USER_ERRORS, fail
from ..errors import InputError, preview
from ..io import atomic_path, read_matrix, write_table
from ..logs import quiet_framework_imports
from . import layouts

FILES = {"model": "model.keras", "layout": "layout.parquet", "scaling": "scaling.parquet", "meta": "checkpoint.json"}


def save(outputs: dict, model, classes, layout_path, scaling_path, meta: dict) -> None:
    """Write the checkpoint files named in ``outputs`` (keys as in FILES)."""
    with atomic_path(outputs["model"]) as tmp:
        keras_tmp = tmp.with_suffix(".keras")  # Keras insists on the extension
        try:
            model.save(keras_tmp)
            keras_tmp.replace(tmp)
        finally:
            keras_tmp.unlink(missing_ok=True)
    for key, src in (("layout", layout_path), ("scaling", scaling_path)):
        with atomic_path(outputs[key]) as tmp:
            shutil.copyfile(src, tmp)
    with atomic_path(outputs["meta"]) as tmp:
        tmp.write_text(json.dumps(meta | {"classes": list(classes)}, indent=2))


@dataclass
class Checkpoint:
    model: object
    classes: list
    layout: pd.DataFrame
    shape: tuple
    scaling: pd.DataFrame
    meta: dict

    @classmethod
    def load(cls, folder) -> "Checkpoint":
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(folder, "is not a checkpoint folder (no such folder)")
        for name in FILES.values():
            if not (folder / name).exists():
                raise InputError(folder / name, "missing: a checkpoint folder needs " + ", ".join(FILES.values()))
        # Each file's failure named by the file: a copy cut short or a file from elsewhere.
        path = folder / FILES["meta"]
        try:
            meta = json.loads(path.read_text())
            classes = meta["classes"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                path, f"not a checkpoint's metadata (JSON with 'classes'): {type(exc).__name__}: {exc}"
            ) from exc
        try:
            path = folder / FILES["layout"]
            layout, shape = layouts.read_layout(path)
            path = folder / FILES["scaling"]
            scaling = pd.read_parquet(path)
        except InputError:
            raise
        except (OSError, ValueError, KeyError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            reason = str(exc).replace(f"'{path}'", "").replace(str(path), path.name)
            raise InputError(path, f"cannot be read; is it truncated or corrupt? ({reason})") from exc
        import keras

        from . import models  # noqa: F401  (registers the gene-image input layer)

        path = folder / FILES["model"]
        if not zipfile.is_zipfile(path):
            raise InputError(path, "is not a .keras model archive; is it truncated or corrupt?")
        try:
            model = keras.models.load_model(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise InputError(path, f"cannot be loaded as a Keras model: {exc}") from exc
        # Files of two different checkpoints would fail later inside Keras, naming neither.
        if tuple(model.input_shape[1:3]) != tuple(shape) or model.output_shape[-1] != len(classes):
            raise InputError(
                folder,
                f"{FILES['model']} takes {model.input_shape[1:3]} images with {model.output_shape[-1]} classes, "
                f"but {FILES['layout']} has a {shape} grid and {FILES['meta']} {len(classes)} classes: "
                "files of different checkpoints?",
            )
        return cls(model, classes, layout, shape, scaling, meta)

    def images(self, x: pd.DataFrame, source=None) -> np.ndarray:
        """Samples x features (as in the training feature matrix) -> gene images."""
        genes = self.layout["gene"]
        missing = genes[~genes.isin(x.columns)]
        if len(missing):
            raise InputError(
                source, f"{len(missing)} of the model's {len(genes)} genes are not in the table: {preview(missing)}"
            )
        x = x[list(genes)]
        bad = ~np.isfinite(x.to_numpy()).all(axis=1)
        if bad.any():
            raise InputError(source, f"NaN or infinite values in {bad.sum()} sample(s): {preview(x.index[bad])}")
        return layouts.images(x, self.scaling, self.layout, self.shape)

    def predict_proba(self, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        return self.model.predict(images, batch_size=batch_size, verbose=0)

    def features(self, raw: pd.DataFrame, source=None) -> pd.DataFrame:
        """A raw (linear-scale) samples x genes table -> features, as the training matrix was made."""
        from ..inputs.matrix import to_features

        f = self.meta["features"]
        genes = raw.columns.intersection(self.layout["gene"])
        na = genes[raw[genes].isna().any().to_numpy()]
        if len(na) and f["missing"] != "zero":
            raise InputError(source, f"missing values (NA) in {len(na)} gene(s) the model needs: {preview(na)}")
        x, _ = to_features(raw, negatives=f["negatives"], missing=f["missing"], log2=f["log2"], drop_constant=False)
        return x

    def classify(self, x: pd.DataFrame, source=None) -> pd.DataFrame:
        """Predicted tumour type and class probabilities for every sample of ``x``."""
        proba = self.predict_proba(self.images(x, source))
        out = pd.DataFrame({"barcode": x.index, "predicted": np.asarray(self.classes, dtype=object)[proba.argmax(1)]})
        for j, c in enumerate(self.classes):
            out[f"prob_{c}"] = proba[:, j]
        return out


def read_raw_table(path) -> pd.DataFrame:
    """A features x samples table (EB++ layout, .tsv/.csv, optionally gzipped) as samples x
    features, still on its linear scale."""
    from ..inputs.matrix import read_header, read_samples_matrix, sniff_sep

    sep = sniff_sep(path)
    return read_samples_matrix(path, read_header(path, sep)[1:], sep=sep)


def classify(checkpoint_dir, table) -> pd.DataFrame:
    """One call: checkpoint folder + expression table -> predictions.

    ``table`` is a samples x features DataFrame or Parquet matrix as the workflow writes them
    (used as is), or a raw features x samples table file, which gets the checkpoint's feature
    transform (e.g. log2(x + 1)) first."""
    ck = Checkpoint.load(checkpoint_dir)
    if isinstance(table, pd.DataFrame):
        return ck.classify(table)
    return ck.classify(table_features(ck, table), table)


def table_features(ck: Checkpoint, table) -> pd.DataFrame:
    """The features of a table file as ``ck`` needs them: a workflow Parquet matrix as it is, a
    raw table after the checkpoint's feature transform."""
    path = Path(table)
    if path.suffix == ".parquet":
        return read_matrix(path)
    return ck.features(read_raw_table(path), path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="tcgatl-classify",
        description="Classify the samples of an expression table with a trained checkpoint folder "
        "(results/pancancer/<layout>/<backbone>/).",
    )
    parser.add_argument(
        "checkpoint", help="checkpoint folder (model.keras, layout.parquet, scaling.parquet, checkpoint.json)"
    )
    parser.add_argument(
        "table", help="samples x features Parquet from the workflow, or a genes x samples EB++ .tsv(.gz)"
    )
    parser.add_argument("out", help="output .tsv with barcode, predicted type and class probabilities")
    args = parser.parse_args(argv)
    prog = parser.prog
    quiet_framework_imports()
    # A bad checkpoint folder or table (missing, cut short, not what it should be) is the
    # user's to fix: one line. Once both are read, only the library's own errors (the table
    # lacks genes) and OSError (the output) are; anything else is a bug, and keeps its traceback.
    try:
        ck = Checkpoint.load(args.checkpoint)
    except READING_ERRORS as exc:
        return fail(prog, exc, args.checkpoint)
    try:
        x = table_features(ck, args.table)
    except READING_ERRORS as exc:
        return fail(prog, exc, args.table)
    try:
        predictions = ck.classify(x, args.table)
        write_table(predictions, args.out)
    except USER_ERRORS as exc:
        return fail(prog, exc, f"cannot write {args.out}" if isinstance(exc, OSError) else None)
    print(f"{len(predictions)} samples classified -> {args.out}", file=sys.stderr)
    return 0
