"""The reference classifier: multinomial logistic regression on the standardised matrix.

Fitted on the training split only (scaler included), evaluated on the test split: the same
samples and features the backbones see, so every table can show it beside them.
"""

from __future__ import annotations

import logging

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .splits import split_matrix

log = logging.getLogger(__name__)


def fit_predict(x: pd.DataFrame, split: pd.DataFrame, seed: int, source=None):
    """Fit on train, predict test: (classes, test barcodes, y_test, probabilities)."""
    parts = split_matrix(x, split, source)
    (xtr, ytr), (xte, yte) = parts["train"], parts["test"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1, random_state=seed))
    log.info("baseline: %d training samples x %d features, %d classes", *xtr.shape, len(set(ytr)))
    model.fit(xtr.to_numpy(), ytr)
    proba = model.predict_proba(xte.to_numpy())
    return list(model.classes_), xte.index, yte, proba
