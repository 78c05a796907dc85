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
