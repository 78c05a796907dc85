"""Settings objects for tests, built as the workflow builds them: from the config schema's
defaults (:func:`tcgatl.config.defaults`) with a test's overrides, through each dataclass's
``from_config`` (the dataclasses have no defaults of their own)."""

import copy
import functools

from tcgatl import config


@functools.cache
def _defaults() -> dict:
    return config.defaults()


def section(name: str, **overrides) -> dict:
    """Config section ``name`` at the schema's defaults, with ``overrides``."""
    return {**copy.deepcopy(_defaults()[name]), **overrides}


def demo_params(**overrides):
    from tcgatl.inputs.demo_params import DemoParams

    return DemoParams.from_config(section("demo", **overrides))


def hyper(**overrides):
    from tcgatl.motlab import net

    return net.Hyper.from_config(section("motlab", **overrides))


def settings(**overrides):
    """MOTLAB evaluation settings: the schema's (the target phase fixed at the source phase's
    settings), changed by ``overrides``; a test that wants candidates sets tune_* itself."""
    from tcgatl.motlab.evaluate import Settings

    return Settings.from_config(section("motlab", **overrides))


def train_config(seed: int = 0, **overrides):
    from tcgatl.pancancer.training import TrainConfig

    return TrainConfig.from_config(section("pancancer", **overrides), seed)
