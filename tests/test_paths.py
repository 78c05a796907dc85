"""tcgatl.paths: one owner for the results tree, read by the rules, the targets and the report."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tcgatl import paths
from tcgatl.config import validate
from tcgatl.report import CATEGORIES, Sources, output_files
from tcgatl.report.build import _Writer

ROOT = Path(__file__).resolve().parents[1]


def demo_config(**sections):
    cfg = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    for name, values in sections.items():
        cfg[name] = values if not isinstance(values, dict) else {**cfg.get(name, {}), **values}
    return validate(cfg)


def test_a_cross_validation_fold_is_the_single_split_tree_under_its_prefix():
    single = paths.evaluation_files(paths.SINGLE, "alphabetical", "ResNet50")
    fold = paths.evaluation_files(paths.cv_fold(1, 2), "alphabetical", "ResNet50")
    assert single["metrics"] == "results/pancancer/alphabetical/ResNet50/metrics.json"
    assert fold["metrics"] == "results/pancancer/cv/r1_f2/alphabetical/ResNet50/metrics.json"
    assert {k: v.replace("cv/r1_f2/", "") for k, v in fold.items()} == single
    # Called without values, the functions give the rules' wildcard patterns.
    assert (
        paths.checkpoint_files(paths.CV_FOLD)["model"]
        == "results/pancancer/cv/r{repeat}_f{fold}/{layout}/{backbone}/model.keras"
    )
    assert (
        paths.log(paths.pancancer_step(paths.CV_FOLD, "baseline"))
        == "results/logs/pancancer/cv/r{repeat}_f{fold}/baseline.log"
    )


def test_paths_is_standard_library_only():
    code = "import sys, tcgatl.paths; print(sorted(m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unknown_clinical_table_is_refused():
    with pytest.raises(ValueError, match="unknown clinical table 'cdr2'"):
        paths.clinical("cdr2")


def test_report_sources_follow_the_results_folder_they_are_given(tmp_path):
    src = Sources(demo_config(), tmp_path / "prefix" / "results")
    assert (
        src.run_file("similarity", "VGG19", "ig_grid")
        == tmp_path / "prefix/results/pancancer/similarity/VGG19/ig/grid.png"
    )
    assert src.final_model_json("PFI", 3, "ccsa", "smote") == (
        tmp_path / "prefix/results/motlab/PFI_3y/ccsa_smote/model/preprocessing.json"
    )
    for role, files in src.paths().items():
        assert all(f.startswith(str(tmp_path / "prefix" / "results")) for f in files), role


def test_report_outputs_follow_the_configured_analyses_and_sections():
    def names(cfg):
        return {rel for rel, _, _ in output_files(Sources(cfg))}

    demo = names(demo_config())
    assert "tables/demo_markers.tsv" in demo and "tables/pancancer_cv.tsv" not in demo
    assert {"figures/ig_similarity_VGG19.png", "figures/example_images_alphabetical.png"} <= demo
    assert "tables/pancancer_cv.tsv" in names(demo_config(pancancer={"cv_folds": 2}))
    motlab_only = names(demo_config(analyses=["motlab"]))
    assert "tables/motlab_auroc.tsv" in motlab_only and "config.yaml" in motlab_only
    assert not any("pancancer" in n or "confusion" in n or "demo_markers" in n for n in motlab_only)
    # Every kind has a category (and so a caption) in Snakemake's report, or is a copy.
    assert {f.kind for f in paths.REPORT_FILES} <= set(CATEGORIES) | {"copy"}


def test_the_report_writer_refuses_a_file_the_table_does_not_declare(tmp_path):
    w = _Writer(tmp_path, ["tables/declared.tsv"])
    w.table(pd.DataFrame({"a": [1]}), "declared.tsv", "caption")
    assert (tmp_path / "tables" / "declared.tsv").exists()
    with pytest.raises(ValueError, match="tables/undeclared.tsv, which tcgatl.paths.REPORT_FILES does not declare"):
        w.table(pd.DataFrame({"a": [1]}), "undeclared.tsv", "caption")
    assert not (tmp_path / "tables" / "undeclared.tsv").exists()
