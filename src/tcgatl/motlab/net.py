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

from ..settings import from_section, take
from .options import NETWORKS

_TF = None


def tf():
    """Import TensorFlow lazily (the data rules do not need it) with deterministic ops."""
    global _TF
    if _TF is None:
        from ..logs import quiet_framework_imports

        quiet_framework_imports()
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


# What every named network sets unless its entry in NETWORKS says otherwise: the motlab network,
# one hidden layer of ``hidden_units``, no penalties, classical momentum.
ARCHITECTURE = {"hidden_layers": None, "l1": 0.0, "l2": 0.0, "nesterov": False}


def architecture(network: str) -> dict:
    """The architecture fields of :class:`Hyper` that the named ``network`` sets."""
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}; expected one of {sorted(NETWORKS)}")
    return {**ARCHITECTURE, **NETWORKS[network]}


@dataclass
class Hyper:
    """The network and its training settings: the config's ``motlab`` section (its defaults are
    the schema's), built with :meth:`from_config`. The architecture fields are the named
    ``network``'s (:func:`architecture`): built directly, a Hyper whose architecture contradicts
    its ``network`` is refused, not silently changed."""

    hidden_units: int
    dropout: float
    learning_rate: float
    momentum: float
    batch_size: int
    epochs: int
    alpha: float
    margin: float
    # Set by the named architecture (``network``); None: one hidden layer of ``hidden_units``.
    hidden_layers: tuple | None
    l1: float
    l2: float
    nesterov: bool
    network: str

    def __post_init__(self):
        for key, value in architecture(self.network).items():
            if getattr(self, key) != value:
                raise ValueError(
                    f"Hyper: {key}={getattr(self, key)!r} contradicts network {self.network!r}, which sets {key}={value!r}"
                )

    @property
    def sizes(self) -> tuple:
        """Widths of the hidden layers."""
        return self.hidden_layers or (int(self.hidden_units),)

    @classmethod
    def from_config(cls, cfg: dict) -> Hyper:
        """From the config's ``motlab`` section, the architecture resolved from its ``network``."""
        return from_section(cls, cfg, **architecture(take(cls, cfg, "network")))


@dataclass
class Params:
    """Kernels and biases of the hidden layers, then of the two-class head. The linear
    reference is the network without hidden layers: logits (0, x @ w + b), so that P(class 1)
    is the logistic regression's sigmoid(x @ w + b)."""

    kernels: list
    biases: list
    C: float | None = None  # the inverse L2 strength, when a logistic regression was fitted

    @property
    def w1(self) -> np.ndarray:
        return self.kernels[0]

    @property
    def depth(self) -> int:
        return len(self.kernels)

    def as_list(self):
        return [t for kb in zip(self.kernels, self.biases) for t in kb]


@dataclass
class Ensemble:
    """Networks whose predicted probabilities are averaged: the target phase of finetune and
    ccsa trained once per candidate setting (``target_selection: average``)."""

    members: list

    C = None  # not a logistic regression

    @property
    def w1(self) -> np.ndarray:
        return self.members[0].w1

    def as_list(self):
        return [t for m in self.members for t in m.as_list()]


def fit_logistic(x, y, inner_folds: int, rng: np.random.Generator, Cs=(0.001, 0.01, 0.1, 1.0, 10.0)) -> Params:
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
    return Params([w], [np.array([0.0, model.intercept_[0]], np.float32)], C=c)


def init_params(d: int, sizes, rng: np.random.Generator) -> Params:
    """Glorot-uniform kernels and zero biases, as Keras Dense initialises them (``sizes``: the
    hidden widths, or one int for a single hidden layer)."""

    def glorot(a, b):
        lim = np.sqrt(6.0 / (a + b))
        return rng.uniform(-lim, lim, (a, b)).astype(np.float32)

    widths = [d, *((sizes,) if np.isscalar(sizes) else tuple(sizes)), 2]
    kernels = [glorot(a, b) for a, b in zip(widths[:-1], widths[1:])]
    return Params(kernels, [np.zeros(b, np.float32) for b in widths[1:]])


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


def _graphs(depth: int, frozen: int, nesterov: bool, penalised: bool):
    """The two compiled training loops for a network of ``depth`` dense layers (the hidden
    layers and the head), built once per process and variant. The variant (``frozen`` hidden
    layers, Nesterov, L1/L2 penalties) is fixed in the graph rather than fed as tensors: a
    tiny network's step is dominated by per-op cost, and multiplying by 1 (trainable), adding
    0 * (...) (no Nesterov) or a zero penalty cost a third of the ops of a step for nothing."""
    key = (depth, frozen, nesterov, penalised)
    if key in _GRAPHS:
        return _GRAPHS[key]
    T = tf()
    f32, i32 = T.float32, T.int32
    pspec = [T.TensorSpec([None, None] if i % 2 == 0 else [None], f32) for i in range(2 * depth)]
    pspec[-2], pspec[-1] = T.TensorSpec([None, 2], f32), T.TensorSpec([2], f32)
    scal = T.TensorSpec([], f32)
    opts = [scal, scal]  # l1, l2 penalties on the hidden kernels (read only when penalised)
    trained = range(2 * frozen, 2 * depth)  # the first ``frozen`` hidden layers get no update

    def forward(x, params, rate, seed, step, salt):
        h = x
        for layer in range(depth - 1):
            w, b = params[2 * layer], params[2 * layer + 1]
            h = T.nn.relu(T.matmul(h, w) + b)
            # Layer 0 keeps the single-layer network's dropout stream; deeper ones get their own.
            keep = T.random.stateless_uniform(T.shape(h), seed=T.stack([seed + 7919 * layer, step * 4 + salt])) >= rate
            h = T.where(keep, h / (1.0 - rate), 0.0)
        return h, T.matmul(h, params[-2]) + params[-1]

    def penalty(params, l1, l2):
        hidden = [params[2 * layer] for layer in range(depth - 1)]
        return l1 * T.add_n([T.reduce_sum(T.abs(w)) for w in hidden]) + l2 * T.add_n(
            [T.reduce_sum(T.square(w)) for w in hidden]
        )

    def sgd(params, vel, loss, tape, lr, mom):
        # Keras SGD: v = m v - lr g; w += v, or with Nesterov w += m v - lr g.
        grads = tape.gradient(loss, [params[i] for i in trained])
        params, vel = list(params), list(vel)
        for i, g in zip(trained, grads):
            vel[i] = mom * vel[i] - lr * g
            params[i] = params[i] + (mom * vel[i] - lr * g if nesterov else vel[i])
        return params, vel

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
            *opts,
        ]
    )
    def fit_ce(x, y, idx, mask, *rest):
        params = list(rest[: 2 * depth])
        lr, mom, rate, seed, l1, l2 = rest[2 * depth :]
        vel = [T.zeros_like(p) for p in params]

        def body(s, params, vel):
            xb, yb, m = T.gather(x, idx[s]), T.gather(y, idx[s]), mask[s]
            with T.GradientTape() as tape:
                tape.watch(params)
                _, logits = forward(xb, params, rate, seed, s, 0)
                ce = T.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits)
                loss = masked_mean(ce, m)
                if penalised:
                    loss += penalty(params, l1, l2)
            params, vel = sgd(params, vel, loss, tape, lr, mom)
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
            *opts,
        ]
    )
    def fit_ccsa(xs, ys, xt, yt, ia, ib, mask, *rest):
        params = list(rest[: 2 * depth])
        lr, mom, rate, alpha, margin, seed, l1, l2 = rest[2 * depth :]
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
                if penalised:
                    loss += penalty(params, l1, l2)
            params, vel = sgd(params, vel, loss, tape, lr, mom)
            return s + 1, params, vel

        _, params, _ = T.while_loop(lambda s, p, v: s < T.shape(ia)[0], body, [0, params, vel])
        return params

    _GRAPHS[key] = {"fit_ce": fit_ce, "fit_ccsa": fit_ccsa}
    return _GRAPHS[key]


def _variant(hp: "Hyper", depth: int, frozen: int = 0):
    """The graphs for ``hp`` and ``frozen`` (the first ``frozen`` hidden layers get no update)
    and their trailing inputs (the penalties)."""
    if not 0 <= frozen < depth:
        raise ValueError(
            f"cannot freeze {frozen} layer(s) of a network with {depth - 1} hidden layer(s): the head must train"
        )
    graphs = _graphs(depth, int(frozen), bool(hp.nesterov), bool(hp.l1 or hp.l2))
    return graphs, [np.float32(hp.l1), np.float32(hp.l2)]


def _params(out) -> Params:
    arrays = [np.asarray(p) for p in out]
    return Params(arrays[0::2], arrays[1::2])


def _seed32(rng) -> int:
    return int(rng.integers(0, 2**31 - 1))


def fit(
    x,
    y,
    hp: Hyper,
    rng: np.random.Generator,
    init: Params | None = None,
    epochs: int | None = None,
    learning_rate: float | None = None,
    batch_size: int | None = None,
    frozen: int = 0,
) -> Params:
    """Train the classifier on (x, y) from ``init`` (new Glorot weights when None). ``epochs``,
    ``learning_rate`` and ``batch_size`` override ``hp``'s (a fine-tuning phase's own
    settings); ``frozen`` hidden layers, counted from the input, keep their ``init`` weights."""
    x = np.ascontiguousarray(x, np.float32)
    y = np.asarray(y, np.int32)
    p = init or init_params(x.shape[1], hp.sizes, rng)
    idx, mask = batches(len(y), batch_size or hp.batch_size, hp.epochs if epochs is None else epochs, rng)
    graphs, options = _variant(hp, p.depth, frozen)
    out = graphs["fit_ce"](
        x,
        y,
        idx,
        mask,
        *p.as_list(),
        np.float32(hp.learning_rate if learning_rate is None else learning_rate),
        np.float32(hp.momentum),
        np.float32(hp.dropout),
        np.int32(_seed32(rng)),
        *options,
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


def fit_ccsa(
    xs, ys, xt, yt, hp: Hyper, rng: np.random.Generator, per_target: int = 10, alpha: float | None = None
) -> Params:
    """CCSA (Motiian et al. 2017) on source/target pairs through a shared encoder:
    (1 - alpha) * cross-entropy of both members + alpha * contrastive loss on the embedding
    (the last hidden layer; same class: d^2; different class: max(0, margin - d)^2). The
    embeddings are L2-normalised before the distance (d in [0, 2]), so the margin has a fixed
    meaning whatever the input scale; raw distances of 100-unit embeddings made SGD with
    momentum diverge. ``alpha`` overrides ``hp.alpha``."""
    xs, xt = np.ascontiguousarray(xs, np.float32), np.ascontiguousarray(xt, np.float32)
    ys, yt = np.asarray(ys, np.int32), np.asarray(yt, np.int32)
    p = init_params(xs.shape[1], hp.sizes, rng)
    a, b = ccsa_pairs(ys, yt, per_target, rng)
    idx, mask = batches(len(a), hp.batch_size, hp.epochs, rng)
    graphs, options = _variant(hp, p.depth)
    out = graphs["fit_ccsa"](
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
        np.float32(hp.alpha if alpha is None else alpha),
        np.float32(hp.margin),
        np.int32(_seed32(rng)),
        *options,
    )
    return _params(out)


def predict(p: Params | Ensemble, x) -> np.ndarray:
    """P(class 1) without dropout (inference); an ensemble's is its members' mean."""
    if isinstance(p, Ensemble):
        return np.mean([predict(m, x) for m in p.members], axis=0)
    h = np.asarray(x, np.float32)
    for w, b in zip(p.kernels[:-1], p.biases[:-1]):
        h = np.maximum(h @ w + b, 0.0)
    logits = h @ p.kernels[-1] + p.biases[-1]
    logits = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e[:, 1] / e.sum(axis=1)).astype(np.float64)


def _hidden_names(n: int) -> list[str]:
    # The first hidden layer keeps the name of the single-layer checkpoints ("encoder").
    return ["encoder" if i == 0 else f"encoder_{i + 1}" for i in range(n)]


def keras_model(d: int, hp: Hyper, sizes=None):
    """The same network as a Keras model (checkpoints, and the reference loop of the bench);
    ``sizes``: the hidden widths, ``hp``'s by default (none: the linear reference)."""
    tf()
    import keras

    sizes = hp.sizes if sizes is None else tuple(sizes)
    layers = [keras.Input((d,))]
    for name, width in zip(_hidden_names(len(sizes)), sizes):
        layers += [keras.layers.Dense(width, activation="relu", name=name), keras.layers.Dropout(hp.dropout)]
    return keras.Sequential([*layers, keras.layers.Dense(2, activation="softmax", name="head")])


def to_keras(p: Params | Ensemble, hp: Hyper):
    """The Keras model of ``p``; an ensemble is one functional model whose members share the
    input and whose probabilities are averaged (layers ``member<i>_<layer>``, then ``average``)."""
    if isinstance(p, Ensemble):
        import keras

        inp = keras.Input((p.w1.shape[0],))
        outputs = []
        for i, m in enumerate(p.members):
            member = to_keras(m, hp)
            h = inp
            for layer in member.layers:
                layer.name = f"member{i}_{layer.name}"  # unique names: each member's own weights
                h = layer(h)
            outputs.append(h)
        return keras.Model(inp, keras.layers.Average(name="average")(outputs))
    model = keras_model(p.w1.shape[0], hp, sizes=[k.shape[1] for k in p.kernels[:-1]])
    for name, w, b in zip([*_hidden_names(p.depth - 1), "head"], p.kernels, p.biases):
        model.get_layer(name).set_weights([w, b])
    return model


def from_keras(model) -> Params | Ensemble:
    names = [layer.name for layer in model.layers]
    if "average" in names:
        count = len({n.split("_", 1)[0] for n in names if n.startswith("member")})
        return Ensemble([_from_layers(model, f"member{i}_") for i in range(count)])
    return _from_layers(model, "")


def _from_layers(model, prefix: str) -> Params:
    names = [layer.name for layer in model.layers]
    hidden = [prefix + n for n in _hidden_names(len(names)) if prefix + n in names]  # none in the linear reference
    weights = [model.get_layer(n).get_weights() for n in [*hidden, prefix + "head"]]
    return Params([w for w, _ in weights], [b for _, b in weights])
