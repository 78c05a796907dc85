"""MOTLAB checkpoints (tcgatl.motlab.final): a final model saved and loaded scores new patients."""

import numpy as np
import pandas as pd
import pytest
from motlab_synthetic import SETTINGS, synthetic

from tcgatl.errors import InputError
from tcgatl.motlab.final import MotlabModel, fit_final


def test_final_model_roundtrip_scores_new_patients(tmp_path):
    data = synthetic()
    model = fit_final("ccsa", data, SETTINGS, seed=0, smote=True, meta={"endpoint": "PFI", "years": 3})
    model.save(tmp_path / "m")
    loaded = MotlabModel.load(tmp_path / "m")
    frames = {n: pd.DataFrame(b, index=data.patients, columns=data.feature_names[n]) for n, b in data.blocks.items()}
    direct = model.predict(frames)
    again = loaded.predict(frames)
    np.testing.assert_allclose(direct.to_numpy(), again.to_numpy(), atol=1e-5)
    assert loaded.meta["scheme"] == "ccsa" and loaded.weights == model.weights
    assert set(loaded.meta["features"]["mrna"]) <= set(data.feature_names["mrna"])
    # new patients' tables: other column order, extra columns, a missing feature -> still scored
    new = {n: df.iloc[:5, ::-1].assign(extra=1.0) for n, df in frames.items()}
    new["mrna"] = new["mrna"].drop(columns=loaded.meta["features"]["mrna"][0])
    assert loaded.predict(new).between(0, 1).all()
    with pytest.raises(InputError, match="omics layer"):
        loaded.predict({"mrna": frames["mrna"]})


def test_an_averaged_target_phase_is_saved_as_one_model_and_scores_the_same(tmp_path):
    """target_selection average: the final model averages one network per candidate; saved as one
    Keras model (the members share the input), it loads and scores new patients the same."""
    from dataclasses import replace

    from motlab_synthetic import TUNED

    from tcgatl.motlab import net

    data = synthetic()
    settings = replace(TUNED, target=replace(TUNED.target, selection="average"))
    model = fit_final("finetune", data, settings, seed=0, smote=False)
    assert isinstance(model.params, net.Ensemble) and len(model.params.members) == 4  # 2 rates x 2 frozen
    phases = model.meta["target_phases"]
    assert len(phases) == 4 and {(p["learning_rate"], p["frozen"]) for p in phases} == {
        (0.01, 0),
        (0.01, 1),
        (0.001, 0),
        (0.001, 1),
    }
    model.save(tmp_path / "avg")
    loaded = MotlabModel.load(tmp_path / "avg")
    assert isinstance(loaded.params, net.Ensemble)
    frames = {n: pd.DataFrame(b, index=data.patients, columns=data.feature_names[n]) for n, b in data.blocks.items()}
    np.testing.assert_allclose(model.predict(frames).to_numpy(), loaded.predict(frames).to_numpy(), atol=1e-5)
