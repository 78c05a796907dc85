"""The one reader of every settings dataclass (tcgatl.settings): every field from the validated
config section or from what the reader resolved, a missing key named, unknown keys ignored."""

from dataclasses import MISSING, dataclass, fields

import pytest
from configured import section

from tcgatl.errors import ConfigError
from tcgatl.settings import from_section, take


@dataclass
class Toy:
    size: int
    name: str

    def __post_init__(self):
        if self.size < 0:
            raise ValueError("size < 0")


def test_every_field_from_the_section_or_the_readers_values():
    assert from_section(Toy, {"size": 1, "name": "a", "other": 3}) == Toy(1, "a")  # unknown keys ignored
    assert from_section(Toy, {"size": 1, "name": "a"}, name="b") == Toy(1, "b")  # the reader's values win
    assert from_section(Toy, {"size": 1}, name="b") == Toy(1, "b")
    with pytest.raises(ValueError, match="size < 0"):  # __post_init__ checks
        from_section(Toy, {"size": -1, "name": "a"})


def test_a_missing_key_names_the_dataclass_and_the_key():
    with pytest.raises(ConfigError, match="Toy: the config section lacks the key 'name'"):
        from_section(Toy, {"size": 1})
    with pytest.raises(ConfigError, match="Toy: the config section lacks the key 'regime'"):
        take(Toy, {"size": 1}, "regime")
    assert take(Toy, {"regime": None}, "regime") is None
    with pytest.raises(TypeError, match=r"Toy has no field\(s\) \['colour'\]"):
        from_section(Toy, {"size": 1, "name": "a"}, colour="red")


def test_settings_dataclasses_take_their_defaults_from_the_schema_alone():
    """No field default of their own (tests/test_training.py checks TrainConfig, which needs
    TensorFlow); and each reads the schema's defaults."""
    from tcgatl.inputs.demo_params import DemoParams
    from tcgatl.motlab.evaluate import Settings
    from tcgatl.motlab.net import Hyper

    for cls in (DemoParams, Hyper, Settings):
        defaulted = [f.name for f in fields(cls) if f.default is not MISSING or f.default_factory is not MISSING]
        assert not defaulted, (cls.__name__, defaulted)
    assert DemoParams.from_config(section("demo")).seed == section("demo")["seed"]
    assert Hyper.from_config(section("motlab")).epochs == section("motlab")["epochs"]
    assert Settings.from_config(section("motlab")).folds == section("motlab")["folds"]
