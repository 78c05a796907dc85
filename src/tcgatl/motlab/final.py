"""Final models: trained on every labelled patient with weights chosen by inner CV, saved with
their fitted preprocessing so that :meth:`MotlabModel.predict` scores new patients in one call.

A checkpoint directory holds ``model.keras`` (the network as a Keras model),
``preprocessing.npz`` (per layer: medians, means and scales of the selected features; in
similarity mode the training patients' normalised profiles, i.e. the similarity columns) and
``preprocessing.json`` (scheme, layers, selected feature names, omics weights, settings).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import atomic_path
from . import net
from .cohort import layer_patients
from .evaluate import Data, Settings, fit_fold
from .options import SCHEMES, smote_option
from .preprocess import LayerTransform, OmicsPipeline
from .schemes import uses_ea

log = logging.getLogger(__name__)


class MotlabModel:
    def __init__(self, pipeline: OmicsPipeline, params: net.Params, hyper: net.Hyper, meta: dict):
        self.pipeline, self.params, self.hyper, self.meta = pipeline, params, hyper, meta

    @property
    def weights(self) -> dict:
        return dict(zip(self.pipeline.layers, self.pipeline.weights))

    def predict(self, layers: dict[str, pd.DataFrame]) -> pd.Series:
        """P(poor outcome) of the patients (rows) present in every layer's table.

        Each table is patients x features (index patient, or TCGA barcodes: the primary-tumour
        aliquot of each patient is used, as in training); features are matched by name, absent
        ones are imputed with the training median (logged).
        """
        missing = [n for n in self.pipeline.layers if n not in layers]
        if missing:
            raise InputError(
                None, f"omics layer(s) {missing} are needed by this model (it uses {self.pipeline.layers})"
            )
        layers = {n: _by_patient(layers[n]) for n in self.pipeline.layers}
        rows = None
        for n in self.pipeline.layers:
            rows = layers[n].index if rows is None else rows.intersection(layers[n].index, sort=False)
        if len(rows) == 0:
            raise InputError(None, "no patient is present in every omics table")
        blocks = {}
        for n in self.pipeline.layers:
            names = self.pipeline.feature_names[n]
            present = pd.Index(names).isin(layers[n].columns)
            if not present.any():
                raise InputError(
                    None,
                    f"layer {n!r}: none of the model's {len(names)} features is in the table "
                    f"(e.g. {names[:3]}; table has {list(layers[n].columns[:3])})",
                )
            if not present.all():
                log.warning(
                    "layer %s: %d of %d features absent, imputed with the training median",
                    n,
                    (~present).sum(),
                    len(names),
                )
            blocks[n] = layers[n].loc[rows].reindex(columns=names).to_numpy(dtype=np.float32, copy=True)
        prob = net.predict(self.params, self.pipeline.transform(blocks))
        return pd.Series(prob, index=rows, name="p_poor_outcome")

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        p = self.pipeline
        arrays = {}
        for n in p.layers:
            t = p.transforms[n]
            arrays.update({f"{n}/median": t.median, f"{n}/mean": t.mean, f"{n}/scale": t.scale})
            if p.reference is not None:
                arrays[f"{n}/reference"] = p.reference[n]
        with atomic_path(directory / "preprocessing.npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        tmp_model = directory / ".model.tmp.keras"
        net.to_keras(self.params, self.hyper).save(tmp_model)
        os.replace(tmp_model, directory / "model.keras")
        meta = {
            **self.meta,
            "layers": p.layers,
            "weighting": p.weighting,
            "weights": self.weights,
            "features": p.feature_names,
            "hyper": asdict(self.hyper),
            "weight_scores": [{"weights": list(w), "inner_auroc": s} for w, s in p.weight_scores],
        }
        with atomic_path(directory / "preprocessing.json") as tmp:
            tmp.write_text(json.dumps(meta, indent=1, default=float))

    @classmethod
    def load(cls, directory: str | Path) -> "MotlabModel":
        directory = Path(directory)
        for f in ("preprocessing.json", "preprocessing.npz", "model.keras"):
            if not (directory / f).exists():
                raise InputError(directory / f, "checkpoint file missing")
        meta = json.loads((directory / "preprocessing.json").read_text())
        arrays = np.load(directory / "preprocessing.npz")
        layers = meta["layers"]
        pipe = OmicsPipeline(
            weighting=meta["weighting"],
            layers=layers,
            feature_names={n: meta["features"][n] for n in layers},
            weights=tuple(meta["weights"][n] for n in layers),
        )
        pipe.transforms = {
            n: LayerTransform(
                np.arange(len(meta["features"][n])), arrays[f"{n}/median"], arrays[f"{n}/mean"], arrays[f"{n}/scale"]
            )
            for n in layers
        }
        pipe.reference = {n: arrays[f"{n}/reference"] for n in layers} if meta["weighting"] == "similarity" else None
        import keras

        net.tf()
        params = net.from_keras(keras.models.load_model(directory / "model.keras"))
        hyper = meta["hyper"]
        if hyper["hidden_layers"] is not None:  # a JSON list
            hyper = {**hyper, "hidden_layers": tuple(hyper["hidden_layers"])}
        return cls(pipe, params, net.Hyper(**hyper), meta)


def _by_patient(x: pd.DataFrame) -> pd.DataFrame:
    ix = x.index.astype(str)
    if not (ix.str.upper().str.match(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-")).any():
        return x
    kept = layer_patients(x)
    return x.loc[kept.to_numpy()].set_axis(kept.index, axis=0)


def fit_final(
    scheme: str, data: Data, settings: Settings, seed: int, smote: bool, meta: dict | None = None
) -> MotlabModel:
    """Train ``scheme`` on all labelled patients (AA, plus EA for the transfer schemes)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    train = np.arange(len(data.y)) if uses_ea(scheme) else np.flatnonzero(data.aa)
    pipe, fits = fit_fold(scheme, data, train, settings, [seed, SCHEMES.index(scheme), 99], (bool(smote),))
    fit = fits[bool(smote)]
    params, status = fit.params, fit.smote_status
    log.info(
        "final %s model (%s): %d training patients, weights %s, SMOTE %s",
        scheme,
        smote_option(smote),
        len(train),
        dict(zip(pipe.layers, pipe.weights)),
        status,
    )
    info = {
        "scheme": scheme,
        "smote": bool(smote),
        "smote_status": status,
        "training_patients": int(len(train)),
        **({"logistic_C": params.C} if params.C is not None else {}),
        **_target_meta(fit.target_phase),
        "seed": seed,
        **(meta or {}),
    }
    return MotlabModel(pipe.selected_only(), params, settings.hyper, info)


def _target_meta(phase) -> dict:
    if isinstance(phase, tuple):  # target_selection average: every candidate's network
        return {"target_phases": [p.as_dict() for p in phase]}
    return {"target_phase": phase.as_dict()} if phase is not None else {}


def clear(directory: str | Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
