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
    weights_file: str  # ImageNet weights without the top, as Keras names them
    weights_url: str
    last_block: str  # first layer of the last block in Keras naming (unfrozen in phase 2)
    min_size: int


BACKBONES = {
    b.name: b
    for b in (
        Backbone(
            "Xception",
            "xception",
            "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            f"{KERAS_APPS}/xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "block14_sepconv1",
            71,
        ),
        Backbone(
            "DenseNet169",
            "densenet",
            "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
            f"{KERAS_APPS}/densenet/densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "conv5_block32_0_bn",
            32,
        ),
        Backbone(
            "ResNet50",
            "resnet50",
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            f"{KERAS_APPS}/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "conv5_block3_1_conv",
            32,
        ),
        Backbone(
            "VGG19",
            "vgg19",
            "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
            f"{KERAS_APPS}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "block5_conv1",
            32,
        ),
    )
}

# Gene-to-pixel layouts (tcgatl.pancancer.layouts builds each).
LAYOUTS = ("alphabetical", "similarity", "chromosome")
# How the similarity layout puts embedded genes on pixels (pancancer.similarity_assignment; the
# first is the default): one gene per pixel, or the nearest pixel with shared pixels averaged.
SIMILARITY_ASSIGNMENTS = ("unique", "snap")

# Integrated Gradients path-integral rules (tcgatl.pancancer.ig.quadrature); the first is the default.
IG_METHODS = ("trapezoid", "gauss_legendre")
# The logistic-regression baseline's (layout, backbone) in the metrics tables, beside the
# backbone x layout runs.
BASELINE = ("(expression vector)", "logistic regression")
# What phase 2 of training unfreezes besides the head (pancancer.trainable).
TRAINABLE = ("last_block", "all")
