"""Backbone classifiers that take gene images at their native grid.

Resizing to the backbone's input size, replication to three channels and the backbone's own
``preprocess_input`` are layers inside the model, so a checkpoint classifies gene images
directly and Integrated Gradients attributions on its input are gene attributions.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from ..errors import InputError
from ..inputs import weights
from . import backend
from .options import BACKBONES, BF16_CPU_FLAGS, PRECISIONS, Backbone  # noqa: F401  (re-exported: models.BACKBONES)


class WeightsError(RuntimeError):
    """ImageNet weights that cannot be found or do not fit; the message says what to do."""


@keras.saving.register_keras_serializable(package="tcgatl")
class GeneImageInput(layers.Layer):
    """(H, W) gene image in [0, 1] -> the backbone's preprocessed (size, size, 3) input."""

    def __init__(self, backbone: str, size: int, **kwargs):
        super().__init__(**kwargs)
        self.backbone, self.size = backbone, size
        self.resize = layers.Resizing(size, size, interpolation="bilinear")
        self._preprocess = getattr(keras.applications, BACKBONES[backbone].module).preprocess_input

    def build(self, input_shape):
        self.resize.build((*input_shape, 1))  # no weights: resizing and preprocessing are fixed
        self.built = True

    def call(self, x):
        x = keras.ops.expand_dims(x, -1)
        x = self.resize(x)
        x = keras.ops.concatenate([x, x, x], axis=-1) * 255.0  # preprocess_input expects 0-255 RGB
        return self._preprocess(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, 3)

    def get_config(self):
        return super().get_config() | {"backbone": self.backbone, "size": self.size}


def cpu_has_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU reports bfloat16 units (options.BF16_CPU_FLAGS) in ``cpuinfo``."""
    try:
        flags = set(Path(cpuinfo).read_text().split())
    except OSError:
        return False
    return any(f in flags for f in BF16_CPU_FLAGS)


def resolve_precision(precision: str, backbone: str | None = None, cpuinfo: str = "/proc/cpuinfo") -> str:
    """The Keras policy for ``precision``: itself, or for 'auto' mixed_bfloat16 where the CPU
    has bf16 units (measured 1.4x forward, 1.55x input gradients on a 2-core AMD EPYC with
    avx512_bf16, ResNet50 at 224 px) and float32 elsewhere (emulated bf16 is slower), and
    float32 for a ``backbone`` that trained slower in bf16 (options.Backbone.bf16_when_auto).
    On a GPU: mixed_bfloat16 where it computes bf16 natively (compute capability 8.0 or later)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    gpu_bf16 = backend.gpu_has_bf16()
    if gpu_bf16 is not None:
        return "mixed_bfloat16" if gpu_bf16 else "float32"
    if backbone is not None and not BACKBONES[backbone].bf16_when_auto:
        return "float32"
    return "mixed_bfloat16" if cpu_has_bf16(cpuinfo) else "float32"


def float32_twin(model: keras.Model, backbone: str, size: int) -> keras.Model:
    """``model`` (built by :func:`build` at any precision) with its weights in a float32 copy.

    Integrated Gradients runs on it: on the demo, bfloat16 gradients left 18% of the samples
    above the 5% completeness tolerance at the adaptive rule's cap, float32 gradients of the
    same weights none (bench/bench_precision.py)."""
    twin = build(
        backbone,
        tuple(model.input_shape[1:]),
        model.output_shape[-1],
        size=size,
        weights="none",
        precision="float32",
    )
    twin.set_weights(model.get_weights())
    return twin


def weights_path(name: str, weights_dir: str | None = None) -> Path:
    """Where the ImageNet weights of ``name`` must be; raises WeightsError if absent."""
    b = BACKBONES[name]
    path = weights.weights_path(name, weights_dir)
    if not path.exists():
        raise WeightsError(
            f"ImageNet weights for {name} not found: {path} does not exist. Download {b.weights_url()} "
            f"and place it at {path} (or set pancancer.weights_dir to the folder that has it, or "
            f"pancancer.weights: none to train from scratch)."
        )
    return path


def build(
    name: str,
    grid: tuple[int, int],
    n_classes: int,
    size: int = 224,
    weights: str = "imagenet",
    weights_dir: str | None = None,
    dropout: float = 0.5,
    seed: int = 0,
    precision: str = "float32",
) -> keras.Model:
    """The classifier: gene image (H, W) -> class probabilities.

    ``precision`` (see :func:`resolve_precision`) is the backbone's Keras dtype policy; the
    gene-image input layer (resizing, ``preprocess_input``) and the head (standardisation,
    dropout, softmax) are float32 whatever it is, so inputs, probabilities and the loss keep
    full precision and only the convolutions run in bfloat16."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; expected one of {sorted(BACKBONES)}")
    b = BACKBONES[name]
    if size < b.min_size:
        raise InputError(
            None,
            f"{name} cannot take {size}x{size} images: it needs at least {b.min_size}x{b.min_size} "
            f"(set pancancer.image_size >= {b.min_size})",
        )
    keras.utils.set_random_seed(seed)
    policy = resolve_precision(precision, name)
    previous = keras.mixed_precision.global_policy()
    # keras.applications takes no dtype: the global policy is what its layers are built with.
    keras.mixed_precision.set_global_policy(policy)
    try:
        backbone = getattr(keras.applications, name)(
            include_top=False, weights=None, input_shape=(size, size, 3), pooling="avg"
        )
    finally:
        keras.mixed_precision.set_global_policy(previous)
    if weights == "imagenet":
        path = weights_path(name, weights_dir)
        try:
            backbone.load_weights(path)
        except Exception as exc:  # h5py/keras raise several types for a mismatching file
            raise WeightsError(
                f"{path} does not fit {name} ({type(exc).__name__}: {str(exc)[:300]}); "
                f"expected {b.weights_file} from {b.weights_url()}"
            ) from exc
    inputs = keras.Input(shape=grid, name="gene_image")
    x = GeneImageInput(name, size, name="to_backbone_input", dtype="float32")(inputs)
    x = backbone(x)
    # Standardises the pooled features with statistics adapted on the training set (training.
    # train): without ImageNet weights their spread is tiny next to their mean, and a head on
    # raw features barely moves in a few epochs.
    x = layers.Normalization(name="head_norm", dtype="float32")(x)
    x = layers.Dropout(dropout, seed=seed, name="head_dropout", dtype="float32")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="head", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=f"{name}_gene_image_classifier")
