"""One reader for every settings dataclass: the object is built from its section of the validated
config (:func:`tcgatl.config.validate` fills in every schema default), by the same rules for all:

- every field is taken from the section, or from ``extra``: values the reader resolved itself
  (a job's seed, a named network's architecture, a demo regime's values), which win;
- a field found in neither is a :class:`~tcgatl.errors.ConfigError` that names the dataclass
  and the key, never a silent default: defaults live in the schema alone;
- keys of the section that are not fields are ignored (one section feeds several readers);
- nothing is filled in or overwritten after construction: ``__post_init__`` may only check.

Code that needs settings outside a workflow run starts from the schema's defaults too:
``Settings.from_config({**tcgatl.config.defaults()["motlab"], "folds": 3})``.

Standard library only: the workflow imports readers of it at parse time.
"""

from __future__ import annotations

from dataclasses import fields

from .errors import ConfigError


def _missing(cls, key: str) -> ConfigError:
    return ConfigError(
        f"{cls.__name__}: the config section lacks the key '{key}' (a validated config has every key: "
        "tcgatl.config.validate fills in the schema's defaults)"
    )


def take(cls, section: dict, key: str):
    """``section[key]``, for a reader of ``cls`` that resolves ``key`` itself (a preset's name,
    a regime), with :func:`from_section`'s error when the section lacks it."""
    if key not in section:
        raise _missing(cls, key)
    return section[key]


def from_section(cls, section: dict, /, **extra):
    """An instance of dataclass ``cls`` with every field from ``extra`` or else ``section``."""
    names = [f.name for f in fields(cls) if f.init]
    unknown = sorted(set(extra) - set(names))
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {unknown}")
    values = {}
    for name in names:
        if name in extra:
            values[name] = extra[name]
        elif name in section:
            values[name] = section[name]
        else:
            raise _missing(cls, name)
    return cls(**values)
