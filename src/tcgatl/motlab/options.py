"""What a config may choose for MOTLAB: endpoints, learning schemes, SMOTE on or off. The config
schema's lists, the rules' wildcards, the command line and the report come from here.

Light on purpose (no TensorFlow): the workflow imports it to validate the config and wire the rules.
"""

from ..inputs.endpoints import ENDPOINTS

# mixture: EA + AA; independent: AA only; finetune: pretrain on EA, tune on AA; ccsa: contrastive
# alignment of EA/AA pairs, then tune on AA (tcgatl.motlab.schemes trains each). The logistic_
# schemes are the linear reference: an L2-regularised logistic regression on the same patients
# and the same fold-internal preprocessing as their network twin (appended, so that the seeds of
# the others, drawn from their position, do not change).
SCHEMES = ["mixture", "independent", "finetune", "ccsa", "logistic_mixture", "logistic_independent"]
LINEAR = "logistic_"


def network_twin(scheme: str) -> str:
    """The network scheme whose patients a scheme trains on (itself for a network scheme)."""
    return scheme.removeprefix(LINEAR)


# The two variants of every scheme: without and with SMOTE on the AA training rows (the
# wildcard value and the name in every output path).
SMOTE_OPTIONS = ("nosmote", "smote")


# Named networks (motlab.network) and what each sets in tcgatl.motlab.net.Hyper. motlab: the
# released script's Dense(hidden_units, ReLU) -> Dropout -> Dense(2), SGD with momentum. tl4hdr:
# TL4HDR's (Gao & Cui 2020) two hidden layers of 128 and 64 ReLU units, each followed by
# dropout, L1 and L2 penalties of 0.001 on the hidden kernels, SGD with Nesterov momentum.
NETWORKS = {
    "motlab": {},
    "tl4hdr": {"hidden_layers": (128, 64), "l1": 0.001, "l2": 0.001, "nesterov": True},
}


def smote_option(smote: bool) -> str:
    return SMOTE_OPTIONS[bool(smote)]


__all__ = ["ENDPOINTS", "LINEAR", "NETWORKS", "SCHEMES", "SMOTE_OPTIONS", "network_twin", "smote_option"]
