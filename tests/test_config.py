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
    """config/scale.yaml generates the real sizes it is documented to (README, Full TCGA scale)."""
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
    # Measured in the scale run of 2026-12-04: 2,239 MB peak, 4.4 min (README, Job requests).
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
    assert not (tmp_path / "results").exists()


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
