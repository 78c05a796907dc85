"""What a config may choose for the pan-cancer stage: the backbones (with what the code needs
of each), the gene layouts and the Integrated Gradients quadrature rules. The config schema's
lists and the rules' wildcards come from here, so adding a backbone is one entry below and
nothing else.

Standard library only: the workflow imports it to validate the config and wire the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications"


@dataclass(frozen=True)
class Backbone:
    name: str
    module: str  # keras.applications submodule with preprocess_input
    weights_file: str  # ImageNet weights without the top ("notop"), as Keras names them
    weights_folder: str  # its folder on the Keras weights host
    weights_md5: str  # the file_hash keras.applications checks the file against
    last_block: str  # first layer of the last block in Keras naming (unfrozen in phase 2)
    min_size: int
    # Whether pancancer.precision 'auto' picks mixed_bfloat16 for it on a CPU with bf16 units
    # (models.resolve_precision): VGG19's last block fine-tuned 1.39x slower in bf16 than in
    # float32 on a 2-core AMD EPYC with avx512_bf16 (tcgatl-project, 2026-12-04), which cost
    # more than its 2x faster frozen pass gained; the other three were faster in bf16.
    bf16_when_auto: bool = True

    def weights_url(self, base: str = KERAS_APPS) -> str:
        """The address of the weights file on ``base`` (pancancer.weights_url)."""
        return f"{base.rstrip('/')}/{self.weights_folder}/{self.weights_file}"


BACKBONES = {
    b.name: b
    for b in (
        Backbone(
            "Xception",
            "xception",
            "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "xception",
            "b0042744bf5b25fce3cb969f33bebb97",
            "block14_sepconv1",
            71,
        ),
        Backbone(
            "DenseNet169",
            "densenet",
            "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "densenet",
            "b8c4d4c20dd625c148057b9ff1c1176b",
            "conv5_block32_0_bn",
            32,
        ),
        Backbone(
            "ResNet50",
            "resnet50",
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "resnet",
            "4d473c1dd8becc155b73f8504c6f6626",
            "conv5_block3_1_conv",
            32,
        ),
        Backbone(
            "VGG19",
            "vgg19",
            "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "vgg19",
            "253f8cb515780f3b799900260a226db6",
            "block5_conv1",
            32,
            bf16_when_auto=False,
        ),
    )
}

# Gene-to-pixel layouts (tcgatl.pancancer.layouts builds each).
LAYOUTS = ("alphabetical", "similarity", "chromosome")
# How the similarity layout puts embedded genes on pixels (pancancer.similarity_assignment; the
# first is the default): one gene per pixel, or the nearest pixel with shared pixels averaged.
SIMILARITY_ASSIGNMENTS = ("unique", "snap")

# Integrated Gradients path-integral rules (tcgatl.pancancer.ig.quadrature); the first is the default.
IG_METHODS = ("adaptive", "trapezoid", "gauss_legendre")
# The logistic-regression baseline's (layout, backbone) in the metrics tables, beside the
# backbone x layout runs.
BASELINE = ("(expression vector)", "logistic regression")
# What phase 2 of training unfreezes besides the head (pancancer.trainable).
TRAINABLE = ("last_block", "all")

# Numerical precision of the backbone (pancancer.precision; tcgatl.pancancer.models.build): Keras
# mixed-precision policies, and 'auto' (the first, the default): mixed_bfloat16 where the CPU has
# bf16 units, float32 elsewhere. The gene-image input layer and the head stay in float32.
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
# /proc/cpuinfo flags of CPUs whose oneDNN kernels run bfloat16 natively.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
