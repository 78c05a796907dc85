import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_snakemake

from tcgatl import config
from tcgatl.errors import ConfigError


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config").glob("*.yaml")))
def test_shipped_configs_are_valid(name):
    cfg = config.load(ROOT / "config" / name)
    assert cfg["pancancer"]["backbones"]


def test_scale_config_has_tcga_shapes():
    """config/scale.yaml generates the real sizes it is documented to (docs/costs.md, Full TCGA scale rehearsal)."""
    from tcgatl.inputs import demo_params
    from tcgatl.inputs.reference import ebpp_gene_ids

    d = config.load(ROOT / "config" / "scale.yaml")["demo"]
    p = demo_params.DemoParams.from_config(d)
    assert d["enabled"] and p.n_genes == len(ebpp_gene_ids()) == 20531 and p.n_cpg == 485577
    assert len(demo_params.simulated_types(p)) == 33 and p.type_sizes == "tcga"
    from tcgatl.jobs import model, work

    resources = model.load().request(
        "demo_data", work.measure("demo_data", {}, None, config.load(ROOT / "config" / "scale.yaml"))
    )
    # Measured in the scale run of 2026-12-04: 2,239 MB peak, 4.4 min (docs/costs.md, Job requests).
    assert resources["mem_mb"] > 2239 and resources["runtime"] > 4.4


def test_defaults_fill_every_key():
    cfg = config.validate({})
    assert cfg["seed"] == 42
    assert cfg["features"] == {"negatives": "zero", "missing": "drop_gene", "log2": True, "drop_constant": True}
    assert cfg["pancancer"]["backbones"] == ["Xception", "DenseNet169", "ResNet50", "VGG19"]
    assert cfg["inputs"]["expression"]["gdc_id"] == "3586c0da-64d0-4b74-a449-5ff4d9136611"
    assert cfg["motlab"]["alpha"] == 0.3


def test_every_schema_key_has_description_and_default():
    schema = config.load_schema()

    def walk(node, path):
        node = config._resolve(node, schema)
        for key, sub in node.get("properties", {}).items():
            sub_r = config._resolve(sub, schema)
            assert "description" in sub_r, f"{path}{key} has no description"
            assert "default" in sub_r, f"{path}{key} has no default"
            walk(sub, f"{path}{key}.")

    walk(schema, "")


@pytest.mark.parametrize(
    "patch, expected",
    [
        (
            {"pancancer": {"backbones": ["ResNet"]}},
            "'pancancer.backbones[0]' = 'ResNet' is not allowed; expected one of ['Xception', 'DenseNet169', 'ResNet50', 'VGG19']",
        ),
        ({"pancancer": {"image_size": 8}}, "'pancancer.image_size' = 8 is not allowed; expected a number >= 32"),
        ({"seed": "forty-two"}, "'seed' = 'forty-two' is not allowed; expected a value of type integer"),
        (
            {"motlab": {"endpoints": ["PFS"]}},
            "'motlab.endpoints[0]' = 'PFS' is not allowed; expected one of ['OS', 'DSS', 'DFI', 'PFI']",
        ),
        ({"qc": {"sampletypes": ["01"]}}, "unknown key 'qc.sampletypes'"),
        ({"pancancer": {"cv_folds": 1}}, "'pancancer.cv_folds' = 1 is not allowed; expected a value other than 1"),
        ({"pancancer": {"train_fraction": 0.9, "val_fraction": 0.1}}, "leaves no test set"),
        (
            {"demo": {"type_sizes": "tcga", "types": ["BRCA", "XYZ"]}},
            "'demo.types' = ['XYZ'] with 'demo.type_sizes' = 'tcga': not TCGA tumour types",
        ),
        (
            {"pancancer": {"image_size": 64}},
            "'pancancer.image_size' = 64 is too small for 'pancancer.backbones': Xception needs at least 71",
        ),
        (
            {"inputs": {"expression": {"path": None, "gdc_id": None}}},
            "'inputs.expression' has neither 'path' nor 'gdc_id'",
        ),
        (
            {"extra_layers": {"mirna": {"path": "x.tsv"}}},
            "'extra_layers' = 'mirna' is not allowed; expected a name other than ['mrna', 'mirna', 'methylation']",
        ),
        ({"extra_layers": {"protein": {"log2": True}}}, "'extra_layers.protein' lacks the required key(s) ['path']"),
        (
            {"motlab": {"layers": ["mrna", "protein"]}},
            "'motlab.layers[1]' = 'protein' is not allowed; expected one of ['methylation', 'mirna', 'mrna']",
        ),
        (
            {"pancancer": {"similarity_assignment": "hungarian"}},
            "'pancancer.similarity_assignment' = 'hungarian' is not allowed; expected one of ['unique', 'snap']",
        ),
        (
            {"qc": {"label_source": "sheet"}, "analyses": ["pancancer"]},
            "'inputs.sample_sheet' has neither 'path' nor 'gdc_id'",
        ),
        (
            {"qc": {"label_source": "sheet"}, "demo": {"enabled": True}},
            "'qc.label_source' = 'sheet' with 'demo.enabled'",
        ),
        (
            {"motlab": {"group_column": "site", "source_group": "A"}},
            "'motlab.group_column' is set but 'motlab.target_group' is not",
        ),
        ({"analyses": []}, "'analyses' = [] is not allowed; expected a list with at least 1 item(s)"),
        (
            {"pancancer": {"matrix": "methylation"}},
            "'pancancer.matrix' = 'methylation' is not allowed; expected one of ['mirna', 'mrna']",
        ),
    ],
)
def test_invalid_config_names_key_value_and_allowed(patch, expected):
    with pytest.raises(ConfigError) as e:
        config.validate(copy.deepcopy(patch), source="my.yaml")
    assert expected in str(e.value)
    assert "my.yaml" in str(e.value)


@pytest.mark.parametrize(
    "key, value, expected",
    [
        (
            "weights",
            "imagenet21k",
            "'pancancer.weights' = 'imagenet21k' is not allowed; expected one of ['imagenet', 'none']",
        ),
        # a check across keys: the demo's backbones include Xception (71 px at least)
        (
            "image_size",
            64,
            "'pancancer.image_size' = 64 is too small for 'pancancer.backbones': Xception needs at least 71",
        ),
    ],
)
def test_invalid_config_stops_snakemake_before_any_job(tmp_path, key, value, expected):
    bad = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    bad["pancancer"][key] = value
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    r = run_snakemake(["--cores", "1", "--configfile", str(tmp_path / "bad.yaml")], tmp_path, timeout=120)
    assert r.returncode != 0
    assert expected in r.stderr + r.stdout
    assert "bad.yaml: 1 problem:" in r.stderr + r.stdout  # the file, relative to the working directory
    assert not (tmp_path / "results").exists()


def test_every_problem_is_listed_at_once_with_its_file_and_a_near_miss(tmp_path):
    """The workflow names the config file(s) and lists every problem, the schema's and those of
    the checks across keys, each with a "did you mean" for a misspelt name."""
    bad = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    bad["pancancer"] |= {"backbones": ["Resnet50", "vgg19"], "train_fraction": 0.95}
    bad["motlab"]["schemse"] = ["ccsa"]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    (tmp_path / "more.yaml").write_text("seed: 1\n")
    r = run_snakemake(["-n", "--configfile", "bad.yaml", "more.yaml"], tmp_path, timeout=120)
    out = r.stderr + r.stdout
    assert r.returncode != 0 and "bad.yaml + more.yaml: 4 problems:" in out, out[-3000:]
    assert "'pancancer.backbones[0]' = 'Resnet50' is not allowed" in out and "did you mean 'ResNet50'?" in out
    assert "'pancancer.backbones[1]' = 'vgg19' is not allowed" in out and "did you mean 'VGG19'?" in out
    assert "unknown key 'motlab.schemse'" in out and "did you mean 'schemes'?" in out
    assert "'pancancer.train_fraction' + 'pancancer.val_fraction' = 1.05 leaves no test set" in out


def test_a_partly_given_input_keeps_its_default_gdc_id():
    cfg = config.validate({"inputs": {"expression": {"path": None}}})
    default = config.load_schema()["properties"]["inputs"]["properties"]["expression"]["default"]["gdc_id"]
    assert cfg["inputs"]["expression"] == {"path": None, "gdc_id": default}
    skip = config.validate({"inputs": {"sample_quality": {"path": None, "gdc_id": None}}})
    assert skip["inputs"]["sample_quality"] == {"path": None, "gdc_id": None}  # explicit nulls stay: QC skipped


def test_only_the_inputs_the_analyses_read_are_required():
    unused = {"path": None, "gdc_id": None}
    mirna_only = {
        "pancancer": {"matrix": "mirna"},
        "motlab": {"layers": ["mirna"]},
        "inputs": {"expression": unused, "methylation": unused},
    }
    cfg = config.validate(mirna_only)
    assert config.required_inputs(cfg) == ["clinical", "mirna"]
    with pytest.raises(ConfigError, match="'inputs.mirna' has neither 'path' nor 'gdc_id'"):
        config.validate({**mirna_only, "inputs": {**mirna_only["inputs"], "mirna": unused}})


def test_the_schema_lists_come_from_the_library():
    from tcgatl.motlab.options import ENDPOINTS, SCHEMES
    from tcgatl.motlab.schemes import SELECTIONS
    from tcgatl.pancancer.options import BACKBONES, LAYOUTS, SIMILARITY_ASSIGNMENTS

    props = config.load_schema()["properties"]
    pc, mot = props["pancancer"]["properties"], props["motlab"]["properties"]
    assert pc["backbones"]["items"]["enum"] == list(BACKBONES) == pc["backbones"]["default"]
    assert pc["layouts"]["items"]["enum"] == list(LAYOUTS)
    assert pc["similarity_assignment"]["enum"] == list(SIMILARITY_ASSIGNMENTS)
    assert pc["similarity_assignment"]["default"] == SIMILARITY_ASSIGNMENTS[0]  # the first is the default
    # Endpoints are any outcomes-table column with motlab.group_column, the CDR's otherwise.
    assert "enum" not in mot["endpoints"]["items"] and set(mot["endpoints"]["default"]) <= set(ENDPOINTS)
    assert mot["schemes"]["items"]["enum"] == list(SCHEMES) == mot["schemes"]["default"]
    assert mot["target_selection"]["enum"] == list(SELECTIONS)
    raw = (ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text()
    assert "VGG19" not in raw and "finetune, ccsa" not in raw  # written once, in the library


def test_the_schema_ships_with_the_library_and_the_workflow_links_to_it():
    """The canonical schema is package data; workflow/schemas/config.schema.yaml, where Snakemake
    users look for it, is a relative link to it (it survives a copy or a move of the checkout)."""
    link = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    assert link.is_symlink() and not Path(os.readlink(link)).is_absolute()
    assert link.resolve() == (ROOT / "src" / "tcgatl" / "config.schema.yaml").resolve() == Path(str(config.SCHEMA))


def test_a_non_editable_install_validates_with_its_own_schema(tmp_path):
    """``pip install`` (not editable) into a folder of its own: the installed library holds the
    schema and validates a config without this checkout."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "*.so"))
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    r = subprocess.run([*pip, "--target", str(site), str(project)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (site / "tcgatl" / "config.schema.yaml").read_text() == (
        ROOT / "src" / "tcgatl" / "config.schema.yaml"
    ).read_text()
    probe = "import tcgatl.config as c; print(c.SCHEMA); print(c.defaults()['motlab']['epochs'])"
    r = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},  # before the editable install's path
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    schema, epochs = r.stdout.split()
    assert Path(schema).is_relative_to(site) and int(epochs) == config.defaults()["motlab"]["epochs"]


def _problems(patch, source=""):
    with pytest.raises(ConfigError) as e:
        config.validate(copy.deepcopy(patch), source=source)
    return str(e.value).splitlines()


def test_two_problems_are_both_reported_in_one_message():
    lines = _problems({"pancancer": {"backbones": ["Resnet50", "vgg19"]}}, source="config/demo.yaml")
    assert lines[0] == "config/demo.yaml: 2 problems:"
    assert lines[1].strip().startswith("'pancancer.backbones[0]' = 'Resnet50' is not allowed; expected one of [")
    assert lines[1].endswith("; did you mean 'ResNet50'?")
    assert lines[2].strip().startswith("'pancancer.backbones[1]' = 'vgg19'") and lines[2].endswith("'VGG19'?")


def test_a_message_without_a_file_still_lists_every_problem():
    lines = _problems({"seed": -1, "qc": {"label_source": "CDR"}})
    assert lines[0] == "Invalid config, 2 problems:"
    assert "'seed' = -1 is not allowed; expected a number >= 0" in lines[1]
    assert "'qc.label_source' = 'CDR' is not allowed" in lines[2] and lines[2].endswith("did you mean 'cdr'?")


@pytest.mark.parametrize(
    "patch, problem, hint",
    [
        ({"pancancer": {"layouts": ["Similarity"]}}, "'pancancer.layouts[0]' = 'Similarity'", "'similarity'"),
        ({"motlab": {"schemes": ["fine_tune"]}}, "'motlab.schemes[0]' = 'fine_tune'", "'finetune'"),
        ({"motlab": {"network": "TL4HDR"}}, "'motlab.network' = 'TL4HDR'", "'tl4hdr'"),
        ({"motlab": {"endpoints": ["pfi"]}}, "'motlab.endpoints[0]' = 'pfi'", "'PFI'"),
        ({"motlab": {"layers": ["mrna", "mirnas"]}}, "'motlab.layers[1]' = 'mirnas'", "'mirna'"),
        ({"ig": {"mehtod": "adaptive"}}, "unknown key 'ig.mehtod'; allowed here:", "'method'"),
        ({"Pancancer": {}}, "unknown key 'Pancancer'", "'pancancer'"),
        ({"qc": {"sampletypes": ["01"]}}, "unknown key 'qc.sampletypes'", "'sample_types'"),
    ],
)
def test_a_near_miss_name_gets_a_did_you_mean(patch, problem, hint):
    (line,) = _problems(patch)[1:]
    assert problem in line and line.endswith(f"; did you mean {hint}?")


def test_no_did_you_mean_for_a_name_near_nothing():
    (line,) = _problems({"pancancer": {"backbones": ["AlexNet"]}})[1:]
    assert "'AlexNet' is not allowed" in line and "did you mean" not in line


def test_a_check_across_keys_skips_keys_the_schema_rejected():
    """A rejected value is reported once, by the schema, not again (or as a crash) by a check that
    reads it; the checks whose keys are valid still run."""
    lines = _problems({"pancancer": {"train_fraction": "most", "image_size": 64}, "extra": 1})
    assert len(lines) == 4, lines
    assert "'pancancer.train_fraction' = 'most' is not allowed; expected a value of type" in lines[2] + lines[3]
    assert any("'pancancer.image_size' = 64 is too small" in line for line in lines)
    assert any("unknown key 'extra'" in line for line in lines)


def test_the_source_names_files_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = [tmp_path / "config" / "a.yaml", Path("/elsewhere/b.yaml")]
    assert config.source_name(files) == "config/a.yaml + /elsewhere/b.yaml"
    assert config.source_name(files[:1], command_line=True) == "config/a.yaml + --config"
    assert config.source_name([]) == ""


def test_with_several_config_files_each_problem_names_the_file_that_set_its_key(tmp_path, monkeypatch):
    """Later files override earlier ones and --config overrides them all: a problem's file is the
    last source that sets its key path (a list's items: the source of the whole list)."""
    monkeypatch.chdir(tmp_path)
    Path("base.yaml").write_text("seed: 1\npancancer:\n  backbones: [Resnet50]\nig: {mehtod: x}\n")
    Path("overlay.yaml").write_text("seed: -1\nresources:\n  gpuu: true\n")
    sources = config.Sources.read(["base.yaml", tmp_path / "overlay.yaml"], {"qc": {"label_source": "CDR"}})
    assert str(sources) == "base.yaml + overlay.yaml + --config"
    merged = {
        "seed": -1,
        "pancancer": {"backbones": ["Resnet50"]},
        "ig": {"mehtod": "x"},
        "resources": {"gpuu": True},
        "qc": {"label_source": "CDR"},
        "motlab": {"group_column": "race"},  # set by none of the sources: a check across keys
    }
    lines = _problems(merged, source=sources)
    assert lines[0] == "base.yaml + overlay.yaml + --config: 7 problems:"
    expected_starts = [
        "  overlay.yaml: 'seed' = -1 is not allowed",  # in both files: the later one's
        "  base.yaml: 'pancancer.backbones[0]' = 'Resnet50' is not allowed",
        "  base.yaml: unknown key 'ig.mehtod'",
        "  overlay.yaml: unknown key 'resources.gpuu'",
        "  --config: 'qc.label_source' = 'CDR' is not allowed",
        # no single key to blame: every source
        "  base.yaml + overlay.yaml + --config: 'motlab.group_column' is set but 'motlab.source_group' is not",
        "  base.yaml + overlay.yaml + --config: 'motlab.group_column' is set but 'motlab.target_group' is not",
    ]
    for start in expected_starts:
        assert sum(line.startswith(start) for line in lines[1:]) == 1, (start, lines)


def test_config_files_are_read_again_only_when_a_problem_needs_its_source(tmp_path, monkeypatch):
    """Snakemake has read the files already: every job's parse validates a config, and a valid
    one needs no second read. The values are read the first time a problem asks for its source."""
    monkeypatch.chdir(tmp_path)
    sources = config.Sources.read(["later.yaml"])  # not written yet: nothing is read here
    assert str(sources) == "later.yaml" and "layers" not in vars(sources)
    Path("later.yaml").write_text("seed: -1\n")
    assert sources.layers == [("later.yaml", {"seed": -1})]


def test_a_problem_in_one_config_file_keeps_the_one_line_form(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("only.yaml").write_text("seed: -1\n")
    lines = _problems({"seed": -1}, source=config.Sources.read(["only.yaml"]))
    assert lines == ["only.yaml: 1 problem:", "  'seed' = -1 is not allowed; expected a number >= 0"]


def test_a_missing_required_key_names_every_source():
    """'required' is about a key no source has: the message names them all."""
    import jsonschema

    (error,) = jsonschema.Draft202012Validator({"required": ["a"]}).iter_errors({})
    (problem,) = config._schema_problems(error)
    sources = config.Sources([("a.yaml", {"a": 1}), ("b.yaml", {})])
    assert problem.key is None and sources.of(problem) == "a.yaml + b.yaml"


def test_the_schema_holds_only_json_schema_keywords():
    """An unquoted comma in a flow mapping (`{description: a, b}`) cuts the description short and
    makes the rest a key of its own; every node must hold JSON Schema keywords only."""
    keywords = {
        *("$schema", "$defs", "$ref", "title", "description", "default", "type", "enum", "const", "not", "oneOf"),
        *("properties", "additionalProperties", "required", "propertyNames", "items", "minItems", "uniqueItems"),
        *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern"),
    }
    stray = []

    def walk(node, path):
        if isinstance(node, list):
            for item in node:
                walk(item, path)
        if not isinstance(node, dict):
            return
        stray.extend(f"{path}: {key!r}" for key in set(node) - keywords)
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    walk(sub, f"{path}.{name}")
            elif key != "default":
                walk(value, path)

    walk(yaml.safe_load(config.SCHEMA.read_text()), "")
    assert not stray


def test_config_readme_is_generated_from_the_schema_and_current():
    from tcgatl import configdoc

    page = configdoc.render(config_dir=ROOT / "config")
    assert (ROOT / "config" / "README.md").read_text() == page, (
        f"config/README.md is stale: regenerate it with `{configdoc.REGENERATE}` (from the repository root)"
    )


def test_the_config_page_lists_every_key_with_its_default_and_every_shipped_config():
    from tcgatl import configdoc

    documented = {key.path: key for key in configdoc.keys()}
    page = configdoc.render(config_dir=ROOT / "config")
    for path, key in documented.items():
        assert f"| `{path}` |" in page or "." not in path
        assert key.description, f"{path} has no description"
    assert documented["inputs.expression.gdc_id"].default == "3586c0da-64d0-4b74-a449-5ff4d9136611"
    assert documented["pancancer.backbones"].default == config.defaults()["pancancer"]["backbones"]
    assert documented["extra_layers.<name>.path"].required and not documented["extra_layers.<name>.path"].has_default
    for section in ("analyses", "inputs.sample_sheet", "inputs.outcomes", "motlab.schemes"):
        assert section in documented
    for p in (ROOT / "config").glob("*.yaml"):
        purpose = p.read_text().splitlines()[0].removeprefix("# ")
        assert f"| `{p.name}` | {purpose} |" in page


def test_a_config_without_a_purpose_line_is_named(tmp_path):
    from tcgatl import configdoc

    (tmp_path / "mine.yaml").write_text("seed: 1  # no header comment\n")
    with pytest.raises(ValueError, match="mine.yaml: the first line must be a comment"):
        configdoc.render(config_dir=tmp_path)


def test_the_generator_writes_and_checks_the_page(tmp_path):
    from tcgatl import configdoc

    (tmp_path / "a.yaml").write_text("# A config for a test.\nseed: 1\n")
    assert configdoc.main(["--config-dir", str(tmp_path), "--check"]) == 1  # no page yet
    assert configdoc.main(["--config-dir", str(tmp_path)]) == 0
    assert "| `a.yaml` | A config for a test. |" in (tmp_path / "README.md").read_text()
    assert configdoc.main(["--config-dir", str(tmp_path), "--check"]) == 0
