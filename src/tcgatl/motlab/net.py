"""The MOTLAB network (Dense(h, ReLU) -> Dropout -> Dense(2, softmax), SGD with momentum) and
its training loops, compiled once per process as TensorFlow graphs.

Keras ``model.fit`` costs milliseconds of Python per batch; MOTLAB trains thousands of tiny
models (folds x repeats x schemes), so the whole loop over epochs and batches runs inside one
``tf.function`` (a ``tf.while_loop``) with the same maths as Keras: Glorot-uniform kernels, zero
biases, inverted dropout, mean categorical cross-entropy over the batch (the last, shorter
batch of an epoch included), SGD ``v = momentum * v - lr * g; w += v``, reshuffling each epoch.
Randomness comes from numpy generators and stateless TF ops, so a seed fixes every number.
The trained weights load into an ordinary Keras model (:func:`to_keras`) for checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TF = None


def tf():
    """Import TensorFlow lazily (the data rules do not need it) with deterministic ops."""
    global _TF
    if _TF is None:
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as _tf

        _tf.config.experimental.enable_op_determinism()
        _TF = _tf
    return _TF


def configure_threads(n: int) -> None:
    """Limit TensorFlow to ``n`` threads (call before the first training)."""
    t = tf()
    try:
        t.config.threading.set_intra_op_parallelism_threads(n)
        t.config.threading.set_inter_op_parallelism_threads(max(1, min(n, 2)))
    except RuntimeError:  # already initialised
        pass


@dataclass
class Hyper:
    hidden_units: int = 100
    dropout: float = 0.5
    learning_rate: float = 0.01
    momentum: float = 0.9
    batch_size: int = 20
    epochs: int = 100
    alpha: float = 0.3
    margin: float = 1.0

    @classmethod
    def from_config(cls, cfg: dict) -> "Hyper":
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg})


@dataclass
class Params:
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def as_list(self):
        return [self.w1, self.b1, self.w2, self.b2]


@dataclass
class LinearParams:
    """The linear reference as a two-class softmax layer: logits (0, x @ w + b), so that
    P(class 1) is the logistic regression's sigmoid(x @ w + b)."""

    w: np.ndarray  # (d, 2), first column 0
    b: np.ndarray  # (2,), first entry 0
    C: float = np.nan  # the inverse L2 strength chosen by inner CV

    def as_list(self):
        return [self.w, self.b]


def fit_logistic(x, y, inner_folds: int, rng: np.random.Generator, Cs=(0.001, 0.01, 0.1, 1.0, 10.0)) -> LinearParams:
    """L2-regularised logistic regression (scikit-learn, lbfgs) on (x, y), its C chosen among
    ``Cs`` by AUROC in a stratified inner K-fold of these rows only."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    x, y = np.asarray(x, np.float64), np.asarray(y, int)
    k = int(min(inner_folds, np.bincount(y, minlength=2).min()))
    seed = int(rng.integers(2**31 - 1))
    if k >= 2:
        cv = StratifiedKFold(k, shuffle=True, random_state=seed)
        search = GridSearchCV(LogisticRegression(max_iter=5000), {"C": list(Cs)}, cv=cv, scoring="roc_auc")
        model = search.fit(x, y).best_estimator_
        c = float(model.C)
    else:  # too few events for an inner split: the middle of the grid
        c = float(Cs[len(Cs) // 2])
        model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    w = np.zeros((x.shape[1], 2), np.float32)
    w[:, 1] = model.coef_[0]
    return LinearParams(w, np.array([0.0, model.intercept_[0]], np.float32), c)


def init_params(d: int, h: int, rng: np.random.Generator) -> Params:
    """Glorot-uniform kernels and zero biases, as Keras Dense initialises them."""

    def glorot(a, b):
        lim = np.sqrt(6.0 / (a + b))
        return rng.uniform(-lim, lim, (a, b)).astype(np.float32)

    return Params(glorot(d, h), np.zeros(h, np.float32), glorot(h, 2), np.zeros(2, np.float32))


def batches(n: int, batch: int, epochs: int, rng: np.random.Generator):
    """Batch index and mask matrices (steps x batch): a new permutation every epoch, the last
    batch of an epoch shorter (padded with masked entries)."""
    per_epoch = -(-n // batch)
    idx = np.zeros((epochs * per_epoch, batch), np.int32)
    mask = np.zeros((epochs * per_epoch, batch), np.float32)
    for e in range(epochs):
        perm = rng.permutation(n)
        for b in range(per_epoch):
            chunk = perm[b * batch : (b + 1) * batch]
            idx[e * per_epoch + b, : len(chunk)] = chunk
            mask[e * per_epoch + b, : len(chunk)] = 1.0
    return idx, mask


_GRAPHS = {}


def _graphs():
    """Build the two compiled training loops once per process."""
    if _GRAPHS:
        return _GRAPHS
    T = tf()
    f32, i32 = T.float32, T.int32
    pspec = [
        T.TensorSpec([None, None], f32),
        T.TensorSpec([None], f32),
        T.TensorSpec([None, 2], f32),
        T.TensorSpec([2], f32),
    ]
    scal = T.TensorSpec([], f32)

    def forward(x, params, rate, seed, step, salt):
        w1, b1, w2, b2 = params
        h = T.nn.relu(T.matmul(x, w1) + b1)
        keep = T.random.stateless_uniform(T.shape(h), seed=T.stack([seed, step * 4 + salt])) >= rate
        h = T.where(keep, h / (1.0 - rate), 0.0)
        return h, T.matmul(h, w2) + b2

    def sgd(params, vel, grads, lr, mom):
        vel = [mom * v - lr * g for v, g in zip(vel, grads)]
        return [p + v for p, v in zip(params, vel)], vel

    def masked_mean(v, m):
        return T.reduce_sum(v * m) / T.maximum(T.reduce_sum(m), 1.0)

    @T.function(
        input_signature=[
            T.TensorSpec([None, None], f32),
            T.TensorSpec([None], i32),
            T.TensorSpec([None, None], i32),
            T.TensorSpec([None, None], f32),
            *pspec,
            scal,
            scal,
            scal,
            T.TensorSpec([], i32),
        ]
    )
    def fit_ce(x, y, idx, mask, w1, b1, w2, b2, lr, mom, rate, seed):
        params = [w1, b1, w2, b2]
        vel = [T.zeros_like(p) for p in params]

        def body(s, params, vel):
            xb, yb, m = T.gather(x, idx[s]), T.gather(y, idx[s]), mask[s]
            with T.GradientTape() as tape:
                tape.watch(params)
                _, logits = forward(xb, params, rate, seed, s, 0)
                ce = T.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits)
                loss = masked_mean(ce, m)
            params, vel = sgd(params, vel, tape.gradient(loss, params), lr, mom)
            return s + 1, params, vel

        _, params, _ = T.while_loop(lambda s, p, v: s < T.shape(idx)[0], body, [0, params, vel])
        return params

    @T.function(
        input_signature=[
            T.TensorSpec([None, None], f32),
            T.TensorSpec([None], i32),
            T.TensorSpec([None, None], f32),
            T.TensorSpec([None], i32),
            T.TensorSpec([None, None], i32),
            T.TensorSpec([None, None], i32),
            T.TensorSpec([None, None], f32),
            *pspec,
            scal,
            scal,
            scal,
            scal,
            scal,
            T.TensorSpec([], i32),
        ]
    )
    def fit_ccsa(xs, ys, xt, yt, ia, ib, mask, w1, b1, w2, b2, lr, mom, rate, alpha, margin, seed):
        params = [w1, b1, w2, b2]
        vel = [T.zeros_like(p) for p in params]

        def body(s, params, vel):
            a, b, m = ia[s], ib[s], mask[s]
            xa, ya, xb, yb = T.gather(xs, a), T.gather(ys, a), T.gather(xt, b), T.gather(yt, b)
            with T.GradientTape() as tape:
                tape.watch(params)
                ha, la = forward(xa, params, rate, seed, s, 1)
                hb, lb = forward(xb, params, rate, seed, s, 2)
                ce = 0.5 * (
                    T.nn.sparse_softmax_cross_entropy_with_logits(labels=ya, logits=la)
                    + T.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=lb)
                )
                ea, eb = T.math.l2_normalize(ha, axis=1), T.math.l2_normalize(hb, axis=1)
                d2 = T.reduce_sum(T.square(ea - eb), axis=1)
                d = T.sqrt(d2 + 1e-9)
                contrast = T.where(T.equal(ya, yb), d2, T.square(T.nn.relu(margin - d)))
                loss = (1.0 - alpha) * masked_mean(ce, m) + alpha * masked_mean(contrast, m)
            params, vel = sgd(params, vel, tape.gradient(loss, params), lr, mom)
            return s + 1, params, vel

        _, params, _ = T.while_loop(lambda s, p, v: s < T.shape(ia)[0], body, [0, params, vel])
        return params

    _GRAPHS.update(fit_ce=fit_ce, fit_ccsa=fit_ccsa)
    return _GRAPHS


def _params(out) -> Params:
    return Params(*[np.asarray(p) for p in out])


def _seed32(rng) -> int:
    return int(rng.integers(0, 2**31 - 1))


def fit(x, y, hp: Hyper, rng: np.random.Generator, init: Params | None = None, epochs: int | None = None) -> Params:
    """Train the classifier on (x, y) from ``init`` (new Glorot weights when None)."""
    x = np.ascontiguousarray(x, np.float32)
    y = np.asarray(y, np.int32)
    p = init or init_params(x.shape[1], hp.hidden_units, rng)
    idx, mask = batches(len(y), hp.batch_size, hp.epochs if epochs is None else epochs, rng)
    out = _graphs()["fit_ce"](
        x,
        y,
        idx,
        mask,
        *p.as_list(),
        np.float32(hp.learning_rate),
        np.float32(hp.momentum),
        np.float32(hp.dropout),
        np.int32(_seed32(rng)),
    )
    return _params(out)


def ccsa_pairs(ys, yt, per_target: int, rng: np.random.Generator):
    """For every target row, ``per_target`` source partners: half of the same class, half of the
    other (fewer when a class has fewer source rows). Returns (source index, target index)."""
    ia, ib = [], []
    by_class = {c: np.flatnonzero(ys == c) for c in (0, 1)}
    n_same = per_target - per_target // 2
    for j, c in enumerate(yt):
        for pool, n in ((by_class[c], n_same), (by_class[1 - c], per_target // 2)):
            if len(pool):
                pick = rng.choice(pool, min(n, len(pool)), replace=False)
                ia.extend(pick)
                ib.extend([j] * len(pick))
    return np.asarray(ia, np.int32), np.asarray(ib, np.int32)


def fit_ccsa(xs, ys, xt, yt, hp: Hyper, rng: np.random.Generator, per_target: int = 10) -> Params:
    """CCSA (Motiian et al. 2017) on source/target pairs through a shared encoder:
    (1 - alpha) * cross-entropy of both members + alpha * contrastive loss on the embedding
    (same class: d^2; different class: max(0, margin - d)^2). The embeddings are L2-normalised
    before the distance (d in [0, 2]), so the margin has a fixed meaning whatever the input
    scale; raw distances of 100-unit embeddings made SGD with momentum diverge."""
    xs, xt = np.ascontiguousarray(xs, np.float32), np.ascontiguousarray(xt, np.float32)
    ys, yt = np.asarray(ys, np.int32), np.asarray(yt, np.int32)
    p = init_params(xs.shape[1], hp.hidden_units, rng)
    a, b = ccsa_pairs(ys, yt, per_target, rng)
    idx, mask = batches(len(a), hp.batch_size, hp.epochs, rng)
    out = _graphs()["fit_ccsa"](
        xs,
        ys,
        xt,
        yt,
        a[idx],
        b[idx],
        mask,
        *p.as_list(),
        np.float32(hp.learning_rate),
        np.float32(hp.momentum),
        np.float32(hp.dropout),
        np.float32(hp.alpha),
        np.float32(hp.margin),
        np.int32(_seed32(rng)),
    )
    return _params(out)


def predict(p: Params | LinearParams, x) -> np.ndarray:
    """P(class 1) without dropout (inference)."""
    if isinstance(p, LinearParams):
        logits = np.asarray(x, np.float32) @ p.w + p.b
    else:
        h = np.maximum(np.asarray(x, np.float32) @ p.w1 + p.b1, 0.0)
        logits = h @ p.w2 + p.b2
    logits = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e[:, 1] / e.sum(axis=1)).astype(np.float64)


def keras_model(d: int, hp: Hyper):
    """The same network as a Keras model (checkpoints, and the reference loop of the bench)."""
    tf()
    import keras

    return keras.Sequential(
        [
            keras.Input((d,)),
            keras.layers.Dense(hp.hidden_units, activation="relu", name="encoder"),
            keras.layers.Dropout(hp.dropout),
            keras.layers.Dense(2, activation="softmax", name="head"),
        ]
    )


def to_keras(p: Params | LinearParams, hp: Hyper):
    if isinstance(p, LinearParams):
        tf()
        import keras

        model = keras.Sequential(
            [keras.Input((p.w.shape[0],)), keras.layers.Dense(2, activation="softmax", name="head")]
        )
        model.get_layer("head").set_weights([p.w, p.b])
        return model
    model = keras_model(p.w1.shape[0], hp)
    model.get_layer("encoder").set_weights([p.w1, p.b1])
    model.get_layer("head").set_weights([p.w2, p.b2])
    return model


def from_keras(model) -> Params | LinearParams:
    if "encoder" not in [layer.name for layer in model.layers]:  # the linear reference
        return LinearParams(*model.get_layer("head").get_weights())
    w1, b1 = model.get_layer("encoder").get_weights()
    w2, b2 = model.get_layer("head").get_weights()
    return Params(w1, b1, w2, b2)
