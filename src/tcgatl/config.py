"""Config validation against the config schema, with defaults filled in.

The schema ships with the library (``tcgatl/config.schema.yaml``, package data, read through
importlib.resources), so an installed tcgatl validates without a checkout;
``workflow/schemas/config.schema.yaml``, where Snakemake users look for it, links to it.

Snakemake's own ``validate`` prints jsonschema's raw traceback and stops at the first error;
users get one message here listing every problem, a line each: which key, which value, what is
allowed, and the allowed name a near miss was probably meant to be.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from .errors import ConfigError, did_you_mean

SCHEMA = resources.files("tcgatl").joinpath("config.schema.yaml")


def choices() -> dict[tuple[str, str], tuple[list, bool]]:
    """The config lists and names whose allowed values the library defines (one source: adding a
    backbone or a scheme is one edit there): (section, key) -> (allowed values, all by default)."""
    from .motlab import options as motlab_options
    from .pancancer import options as pancancer_options

    return {
        ("pancancer", "backbones"): (list(pancancer_options.BACKBONES), True),
        ("pancancer", "layouts"): (list(pancancer_options.LAYOUTS), False),
        ("motlab", "schemes"): (list(motlab_options.SCHEMES), True),
        ("motlab", "network"): (list(motlab_options.NETWORKS), False),
        ("ig", "method"): (list(pancancer_options.IG_METHODS), False),
        ("pancancer", "trainable"): (list(pancancer_options.TRAINABLE), False),
        ("pancancer", "precision"): (list(pancancer_options.PRECISIONS), False),
        ("pancancer", "similarity_assignment"): (list(pancancer_options.SIMILARITY_ASSIGNMENTS), False),
    }


def load_schema(path: str | Path | None = None) -> dict:
    """The config schema (the packaged one unless ``path``), with the allowed values of the
    lists in :func:`choices` filled in."""
    schema = yaml.safe_load((SCHEMA if path is None else Path(path)).read_text())
    for (section, key), (allowed, all_by_default) in choices().items():
        node = schema["properties"][section]["properties"][key]
        (node["items"] if node.get("type") == "array" else node)["enum"] = allowed  # a list or one name
        if all_by_default:
            node["default"] = list(allowed)
    return schema


def _resolve(schema: dict, root: dict) -> dict:
    """Follow a local ``$ref`` and merge the referring node's own keywords over it."""
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref supported, got {ref}")
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        merged = dict(_resolve(target, root))
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        return merged
    return schema


def fill_defaults(instance: dict, schema: dict, root: dict | None = None) -> dict:
    """Insert schema defaults for absent keys, recursively (objects absent get their default)."""
    root = root or schema
    schema = _resolve(schema, root)
    for key, sub in schema.get("properties", {}).items():
        sub = _resolve(sub, root)
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        elif isinstance(instance.get(key), dict) and isinstance(sub.get("default"), dict):
            # A partly given object keeps the rest of its default: `expression: {path: null}`
            # still downloads by the default gdc_id.
            for k, v in sub["default"].items():
                instance[key].setdefault(k, copy.deepcopy(v))
        if isinstance(instance.get(key), dict) and sub.get("type") in ("object", None):
            if "properties" in sub:
                fill_defaults(instance[key], sub, root)
            if isinstance(sub.get("additionalProperties"), dict):  # a map of named entries
                for entry in instance[key].values():
                    if isinstance(entry, dict):
                        fill_defaults(entry, sub["additionalProperties"], root)
    return instance


class Problem(str):
    """One problem line, and ``key``: the key path it is about (keys and list indices), by which
    :class:`Sources` names the config file it came from; None for a key that is missing and for a
    check across keys, which no single file is to blame for."""

    key: tuple | None

    def __new__(cls, text: str, key=None):
        problem = super().__new__(cls, text)
        problem.key = None if key is None else tuple(key)
        return problem


def _key(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _shown(value, limit: int = 80) -> str:
    """``repr(value)``, shortened: a whole section given the wrong type would fill the screen."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _allowed(error: jsonschema.ValidationError) -> str:
    v, s = error.validator, error.schema
    if v == "enum":
        return f"one of {s['enum']}"
    if v == "type":
        return f"a value of type {s['type']}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sym = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return f"a number {sym} {error.validator_value}"
    if v == "pattern":
        return f"a string matching {s['pattern']!r}"
    if v in ("minItems", "maxItems"):
        return f"a list with {'at least' if v == 'minItems' else 'at most'} {error.validator_value} item(s)"
    if v == "uniqueItems":
        return "a list without repeated items"
    if v == "not" and "const" in error.validator_value:
        return f"a value other than {error.validator_value['const']!r}"
    return f"a value satisfying {v}={error.validator_value!r}"


def _not_allowed(path: tuple, value, allowed: str, hint: str = "") -> Problem:
    """One problem line: the key path, the value, what is allowed (and a near miss, if any)."""
    return Problem(f"'{_key(path)}' = {_shown(value)} is not allowed; expected {allowed}{hint}", path)


def _schema_problems(error: jsonschema.ValidationError) -> list[Problem]:
    """The problem lines of one schema violation (an object with two unknown keys gives two)."""
    # A oneOf/anyOf failure holds the violation of each branch; the closest branch says most.
    error = jsonschema.exceptions.best_match([error])
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in known]
        return [
            Problem(f"unknown key '{_key((*path, k))}'; allowed here: {known}{did_you_mean(k, known)}", (*path, k))
            for k in unknown
        ]
    if error.validator == "required":
        absent = [k for k in error.validator_value if k not in error.instance]
        return [Problem(f"'{_key(path)}' lacks the required key(s) {absent}")]
    if error.validator == "not" and "enum" in error.validator_value:
        return [_not_allowed(path, error.instance, f"a name other than {error.validator_value['enum']}")]
    hint = did_you_mean(error.instance, error.schema["enum"]) if error.validator == "enum" else ""
    return [_not_allowed(path, error.instance, _allowed(error), hint)]


def problems(config: dict, schema: dict | None = None) -> list[Problem]:
    """Every problem of ``config`` (defaults already filled in: :func:`fill_defaults`), one line
    each naming the key path (:class:`Problem`): the schema's violations, then the checks across keys of those keys
    the schema accepted."""
    schema = schema or load_schema()
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(config))
    found = [line for error in errors for line in _schema_problems(error)]
    # An unknown key leaves its siblings valid: only the other violations reject their key.
    rejected = [tuple(error.absolute_path) for error in errors if error.validator != "additionalProperties"]
    for keys, check in _CHECKS:
        # A check reads its keys as the schema promises them (numbers, known names): one whose
        # key, or a section above it, was rejected would fail on the value or repeat the problem.
        if not any(bad[: len(k)] == k[: len(bad)] for bad in rejected for k in keys):
            found += [line if isinstance(line, Problem) else Problem(line) for line in check(config)]
    return found


def _file_name(file) -> str:
    """A config file as messages name it: relative to the working directory when inside it."""
    path = Path(file)
    inside = path.is_absolute() and path.is_relative_to(Path.cwd())
    return str(path.relative_to(Path.cwd()) if inside else path)


def source_name(files=(), command_line: bool = False) -> str:
    """How messages name where a config came from: its files (:func:`_file_name`), and
    ``--config`` for values given on the command line."""
    return " + ".join([*map(_file_name, files), *(["--config"] if command_line else [])])


class Sources:
    """Where a config's values came from, in the order they apply: its files (a later one's
    values override an earlier one's), then ``--config`` on the command line; each with the
    keys it sets, so that a problem names the one source that set the key it is about."""

    def __init__(self, layers: list[tuple[str, dict | Path]]):
        # A file's values are read only when a problem needs its source (:attr:`layers`): a
        # valid config, the case at every job's parse, costs no second read.
        self._given = layers
        self.names = [name for name, _ in layers]

    @classmethod
    def read(cls, files=(), command_line: dict | None = None) -> Sources:
        """The sources of a workflow run's config: ``files`` (Snakemake's ``workflow.configfiles``,
        which Snakemake has read already) and ``command_line`` (the values of ``--config``)."""
        layers = [(_file_name(file), Path(file)) for file in files]
        if command_line:
            layers.append(("--config", command_line))
        return cls(layers)

    @functools.cached_property
    def layers(self) -> list[tuple[str, dict]]:
        """(name, values) of each source, its files read now."""
        out = []
        for name, values in self._given:
            if isinstance(values, Path):
                try:
                    with open(values) as fh:
                        values = yaml.safe_load(fh)
                except (OSError, yaml.YAMLError):  # Snakemake read it already; if not now, no key is its
                    values = {}
            out.append((name, values if isinstance(values, dict) else {}))
        return out

    def __str__(self) -> str:
        return " + ".join(self.names)

    def of(self, problem: str) -> str:
        """The source ``problem`` came from: the last one that sets its key path, all of them
        for a problem that has none (:class:`Problem`) or whose key none sets (a default)."""
        key = getattr(problem, "key", None)
        if key is not None:
            # Keys down to the first list index: a list is set whole, by the last source giving it.
            keys = key[: next((i for i, k in enumerate(key) if isinstance(k, int)), len(key))]
            for name, values in reversed(self.layers):
                if _sets(values, keys):
                    return name
        return str(self)


def _sets(values: dict, keys: tuple) -> bool:
    """Whether the nested mapping ``values`` holds the key path ``keys``."""
    for k in keys:
        if not isinstance(values, dict) or k not in values:
            return False
        values = values[k]
    return True


def problems_message(found: list[str], source: str | Sources = "") -> str:
    """One message for all of ``found``: ``<source>: 2 problems:`` then a line per problem; with
    several sources (:class:`Sources`), each line opens with the one it came from."""
    count = f"{len(found)} problem{'s' if len(found) > 1 else ''}"
    head = f"{source}: {count}:" if str(source) else f"Invalid config, {count}:"
    several = isinstance(source, Sources) and len(source.names) > 1
    return "\n".join([head, *(f"  {source.of(line)}: {line}" if several else f"  {line}" for line in found)])


def validate(config: dict, schema: dict | None = None, source: str | Sources = "") -> dict:
    """Fill defaults into ``config`` (in place, also returned) and validate it.

    Raises :class:`ConfigError` with one message listing every problem, headed by ``source``
    (the config file(s), :func:`source_name`, or :class:`Sources`, which names each problem's
    own file too) when given.
    """
    schema = schema or load_schema()
    fill_defaults(config, schema)
    found = problems(config, schema)
    if found:
        raise ConfigError(problems_message(found, source))
    return config


# Constraints JSON Schema cannot express across keys: (the keys each reads, the check), each
# check returning its problem lines (a :class:`Problem` with its key where one key is at fault).
_CHECKS = []


def _reads(*keys: str):
    def register(check):
        _CHECKS.append(([tuple(k.split(".")) for k in keys], check))
        return check

    return register


@_reads("pancancer.train_fraction", "pancancer.val_fraction")
def _leaves_a_test_set(config) -> list[str]:
    pc = config["pancancer"]
    total = pc["train_fraction"] + pc["val_fraction"]
    if total < 1:
        return []
    return [
        f"'pancancer.train_fraction' + 'pancancer.val_fraction' = {total:.3g} leaves no test set; expected a sum < 1"
    ]


@_reads("demo.type_sizes", "demo.types")
def _demo_types_are_tcga(config) -> list[str]:
    demo = config["demo"]
    if demo["type_sizes"] != "tcga" or demo["types"] == "all":
        return []
    from .inputs.reference import tcga_type_sizes

    known = list(tcga_type_sizes())
    unknown = sorted(set(demo["types"]) - set(known))
    if not unknown:
        return []
    hints = "".join(did_you_mean(name, known) for name in unknown)
    return [
        f"'demo.types' = {unknown} with 'demo.type_sizes' = 'tcga': not TCGA tumour types; expected names "
        f"from the TCGA-CDR's 33 or `types: all`{hints}"
    ]


@_reads("pancancer.backbones", "pancancer.image_size")
def _image_fits_the_backbones(config) -> list[str]:
    from .pancancer.options import BACKBONES  # standard library only

    pc = config["pancancer"]
    small = [b for b in pc["backbones"] if BACKBONES[b].min_size > pc["image_size"]]
    if not small:
        return []
    needs = ", ".join(f"{b} needs at least {BACKBONES[b].min_size}" for b in small)
    return [
        f"'pancancer.image_size' = {pc['image_size']} is too small for 'pancancer.backbones': {needs}; "
        "raise image_size or drop the backbone"
    ]


def _layers(config) -> set[str]:
    return {"mrna", "mirna", "methylation", *config["extra_layers"]}


@_reads("pancancer.matrix", "extra_layers")
def _matrix_is_a_layer(config) -> list[str]:
    allowed = sorted(_layers(config) - {"methylation"})
    matrix = config["pancancer"]["matrix"]
    return [] if matrix in allowed else [_not_allowed(("pancancer", "matrix"), matrix, f"one of {allowed}")]


@_reads("motlab.layers", "extra_layers")
def _motlab_layers_exist(config) -> list[str]:
    allowed = sorted(_layers(config))
    return [
        _not_allowed(("motlab", "layers", i), layer, f"one of {allowed}", did_you_mean(layer, allowed))
        for i, layer in enumerate(config["motlab"]["layers"])
        if layer not in allowed
    ]


@_reads("motlab.group_column", "motlab.endpoints", "motlab.source_group", "motlab.target_group")
def _motlab_cohort(config) -> list[str]:
    mot = config["motlab"]
    if mot["group_column"] is None:
        from .motlab.options import ENDPOINTS

        allowed = list(ENDPOINTS)
        return [
            _not_allowed(
                ("motlab", "endpoints", i),
                endpoint,
                f"one of {allowed} (the TCGA-CDR's; other names need motlab.group_column and inputs.outcomes)",
                did_you_mean(endpoint, allowed),
            )
            for i, endpoint in enumerate(mot["endpoints"])
            if endpoint not in allowed
        ]
    found = [
        f"'motlab.group_column' is set but 'motlab.{key}' is not"
        for key in ("source_group", "target_group")
        if mot[key] is None
    ]
    if mot["source_group"] is not None and mot["source_group"] == mot["target_group"]:
        found.append("'motlab.source_group' and 'motlab.target_group' are the same")
    return found


@_reads("demo.enabled", "qc.label_source")
def _demo_labels(config) -> list[str]:
    if not (config["demo"]["enabled"] and config["qc"]["label_source"] == "sheet"):
        return []
    return [
        "'qc.label_source' = 'sheet' with 'demo.enabled': the demo's labels come from its CDR; expected "
        "label_source cdr or annotation, or demo.enabled: false"
    ]


@_reads(
    "demo.enabled",
    "inputs",
    "analyses",
    "qc.label_source",
    "pancancer.matrix",
    "motlab.layers",
    "motlab.group_column",
    "motlab.ancestry_source",
)
def _inputs_are_given(config) -> list[str]:
    if config["demo"]["enabled"]:
        return []
    return [
        f"'inputs.{name}' has neither 'path' nor 'gdc_id'; expected a local file path or a GDC file uuid"
        for name in required_inputs(config)
        if config["inputs"][name]["path"] is None and config["inputs"][name]["gdc_id"] is None
    ]


# The raw input each built-in feature layer is read from.
LAYER_INPUTS = {"mrna": "expression", "mirna": "mirna", "methylation": "methylation"}


def read_inputs(config: dict) -> list[str]:
    """The raw inputs the configured analyses read, in a stable order (the report's
    provenance lists them so)."""
    pancancer, motlab = ("pancancer" in config["analyses"]), ("motlab" in config["analyses"])
    layers = dict.fromkeys(
        [*([config["pancancer"]["matrix"]] if pancancer else []), *(config["motlab"]["layers"] if motlab else [])]
    )
    by_sheet = config["qc"]["label_source"] == "sheet"
    own_outcomes = motlab and config["motlab"]["group_column"] is not None
    # The CDR gives labels (label_source cdr) and MOTLAB's race and endpoints (unless an
    # outcomes table of one's own does).
    names = ["clinical"] if (motlab and not own_outcomes) or not by_sheet else []
    names += ["sample_quality", *(LAYER_INPUTS[layer] for layer in layers if layer in LAYER_INPUTS)]
    if by_sheet:
        names.append("sample_sheet")
    if own_outcomes:
        names.append("outcomes")
    elif motlab and config["motlab"]["ancestry_source"] == "eigenstrat":
        names.append("ancestry")
    return names


def required_inputs(config: dict) -> list[str]:
    """The inputs that must be given: those read, but sample_quality (without it the Do_not_use
    and pathology filters are skipped)."""
    return [name for name in read_inputs(config) if name != "sample_quality"]


def defaults() -> dict:
    """Every key at its schema default: the validated config of an empty file. Code that builds
    settings outside a workflow run starts from it (the settings dataclasses have no defaults of
    their own: :mod:`tcgatl.settings`)."""
    return validate({})


def load(path: str | Path) -> dict:
    """Read and validate a config file (for use outside Snakemake)."""
    with open(path) as fh:
        config = yaml.safe_load(fh) or {}
    return validate(config, source=str(path))
