"""Config validation against the config schema, with defaults filled in.

The schema ships with the library (``tcgatl/config.schema.yaml``, package data, read through
importlib.resources), so an installed tcgatl validates without a checkout;
``workflow/schemas/config.schema.yaml``, where Snakemake users look for it, links to it.

Snakemake's own ``validate`` prints jsonschema's raw traceback; users get one sentence here:
which key, which value, what is allowed.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from .errors import ConfigError

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


def _key(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


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
    if v == "additionalProperties":
        return f"only the keys {sorted(s.get('properties', {}))}"
    if v in ("minItems", "maxItems"):
        return f"a list with {'at least' if v == 'minItems' else 'at most'} {error.validator_value} item(s)"
    if v == "uniqueItems":
        return "a list without repeated items"
    if v == "not" and "const" in error.validator_value:
        return f"a value other than {error.validator_value['const']!r}"
    return f"a value satisfying {v}={error.validator_value!r}"


def _message(error: jsonschema.ValidationError, source: str) -> str:
    where = f" in {source}" if source else ""
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - known)
        parent = _key(error.absolute_path)
        key = f"{parent}.{extra[0]}" if error.absolute_path else extra[0]
        return f"Invalid config{where}: unknown key '{key}'; allowed here: {sorted(known)}"
    if error.validator == "required":
        absent = [k for k in error.validator_value if k not in error.instance]
        return f"Invalid config{where}: '{_key(error.absolute_path)}' lacks the required key(s) {absent}"
    if error.validator == "not" and "enum" in error.validator_value:
        return (
            f"Invalid config{where}: '{_key(error.absolute_path)}' = {error.instance!r} is not allowed; "
            f"expected a name other than {error.validator_value['enum']}"
        )
    value = error.instance
    return (
        f"Invalid config{where}: '{_key(error.absolute_path)}' = {value!r} is not allowed; expected {_allowed(error)}"
    )


def validate(config: dict, schema: dict | None = None, source: str = "") -> dict:
    """Fill defaults into ``config`` (in place, also returned) and validate it.

    Raises :class:`ConfigError` with one message for the most relevant error.
    """
    schema = schema or load_schema()
    fill_defaults(config, schema)
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(_message(error, source))
    _check_semantics(config, source)
    return config


def _check_semantics(config: dict, source: str) -> None:
    """Constraints JSON Schema cannot express across keys."""
    where = f" in {source}" if source else ""
    pc = config["pancancer"]
    if pc["train_fraction"] + pc["val_fraction"] >= 1:
        raise ConfigError(
            f"Invalid config{where}: 'pancancer.train_fraction' + 'pancancer.val_fraction' = "
            f"{pc['train_fraction'] + pc['val_fraction']:.3g} leaves no test set; expected a sum < 1"
        )
    demo = config["demo"]
    if demo["type_sizes"] == "tcga" and demo["types"] != "all":
        from .inputs.reference import tcga_type_sizes

        unknown = sorted(set(demo["types"]) - set(tcga_type_sizes()))
        if unknown:
            raise ConfigError(
                f"Invalid config{where}: 'demo.types' = {unknown} with 'demo.type_sizes' = 'tcga': "
                "not TCGA tumour types; expected names from the TCGA-CDR's 33 or `types: all`"
            )
    from .pancancer.options import BACKBONES  # standard library only

    small = [b for b in pc["backbones"] if BACKBONES[b].min_size > pc["image_size"]]
    if small:
        needs = ", ".join(f"{b} needs at least {BACKBONES[b].min_size}" for b in small)
        raise ConfigError(
            f"Invalid config{where}: 'pancancer.image_size' = {pc['image_size']} is too small for "
            f"'pancancer.backbones': {needs}; raise image_size or drop the backbone"
        )
    layers = {"mrna", "mirna", "methylation", *config["extra_layers"]}
    if pc["matrix"] not in layers - {"methylation"}:
        raise ConfigError(
            f"Invalid config{where}: 'pancancer.matrix' = {pc['matrix']!r} is not allowed; "
            f"expected one of {sorted(layers - {'methylation'})}"
        )
    mot = config["motlab"]
    if mot["group_column"] is None:
        from .motlab.options import ENDPOINTS

        for i, endpoint in enumerate(mot["endpoints"]):
            if endpoint not in ENDPOINTS:
                raise ConfigError(
                    f"Invalid config{where}: 'motlab.endpoints[{i}]' = {endpoint!r} is not allowed; expected one of "
                    f"{list(ENDPOINTS)} (the TCGA-CDR's; other names need motlab.group_column and inputs.outcomes)"
                )
    else:
        for key in ("source_group", "target_group"):
            if mot[key] is None:
                raise ConfigError(f"Invalid config{where}: 'motlab.group_column' is set but 'motlab.{key}' is not")
        if mot["source_group"] == mot["target_group"]:
            raise ConfigError(f"Invalid config{where}: 'motlab.source_group' and 'motlab.target_group' are the same")
    for i, layer in enumerate(config["motlab"]["layers"]):
        if layer not in layers:
            raise ConfigError(
                f"Invalid config{where}: 'motlab.layers[{i}]' = {layer!r} is not allowed; expected one of {sorted(layers)}"
            )
    if config["demo"]["enabled"] and config["qc"]["label_source"] == "sheet":
        raise ConfigError(
            f"Invalid config{where}: 'qc.label_source' = 'sheet' with 'demo.enabled': the demo's labels "
            "come from its CDR; expected label_source cdr or annotation, or demo.enabled: false"
        )
    if not config["demo"]["enabled"]:
        for name in required_inputs(config):
            spec = config["inputs"][name]
            if spec["path"] is None and spec["gdc_id"] is None:
                raise ConfigError(
                    f"Invalid config{where}: 'inputs.{name}' has neither 'path' nor 'gdc_id'; "
                    f"expected a local file path or a GDC file uuid"
                )


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
