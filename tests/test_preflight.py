"""The local inputs a config names, checked before any job runs: every missing file listed at
once, and the sample sheet's ids against each table's header."""

import gzip

import yaml
from conftest import ROOT, run_snakemake

from tcgatl import config
from tcgatl.inputs import gdc, preflight

OWN_MOTLAB = ROOT / "config" / "own_motlab.yaml"
OWN_DATA = ROOT / "config" / "own_data.yaml"


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)


def test_every_missing_input_is_listed_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config.load(OWN_MOTLAB)
    message = preflight.missing_message(cfg, "config/own_motlab.yaml")
    lines = message.splitlines()
    assert lines[0] == (
        "config/own_motlab.yaml: 3 input files named in the config do not exist. Relative paths are read from the "
        f"working directory, {tmp_path}."
    )
    assert lines[1:] == [
        "  inputs.sample_sheet.path: file data/samples.tsv does not exist",
        "  inputs.outcomes.path: file data/outcomes.tsv does not exist",
        "  extra_layers.protein.path: file data/protein.tsv does not exist",
    ]
    _write(tmp_path / "data" / "outcomes.tsv", "patient\tsite\n")
    assert "data/outcomes.tsv" not in preflight.missing_message(cfg)  # only the missing ones
    for name in ("samples.tsv", "protein.tsv"):
        _write(tmp_path / "data" / name, "x\n")
    assert preflight.missing_message(cfg) is None


def test_only_files_the_run_reads_are_required(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    unread = {"path": "nowhere/methylation.tsv", "gdc_id": None}  # an mRNA-only run does not read it
    cfg = config.validate(
        {"analyses": ["pancancer"], "inputs": {"methylation": unread, "expression": {"path": "m.tsv"}}}
    )
    assert preflight.local_files(cfg) == {"inputs.expression.path": "m.tsv"}
    demo = config.validate({"demo": {"enabled": True}, "inputs": {"expression": {"path": "m.tsv"}}})
    assert preflight.local_files(demo) == {}  # the demo generates its inputs


def test_a_missing_tcga_file_says_where_to_fetch_it_and_ones_own_does_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    manifest = gdc.read_manifest(ROOT / "resources" / "gdc_manifest.tsv")
    gdc_id = "3586c0da-64d0-4b74-a449-5ff4d9136611"
    tcga = config.validate({"inputs": {"expression": {"path": "raw/EBPlusPlus.tsv", "gdc_id": gdc_id}}})
    line = preflight.missing_message(tcga, manifest=manifest).splitlines()[1]
    assert f"https://api.gdc.cancer.gov/data/{gdc_id}" in line and "inputs.expression.path: null" in line
    own = config.load(OWN_DATA)
    assert "gdc.cancer.gov" not in preflight.missing_message(own, manifest=manifest)


def test_sheet_ids_not_in_the_matrix_are_found_before_any_job(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config.load(OWN_DATA)
    _write(tmp_path / "data" / "matrix.tsv.gz", "gene\t" + "\t".join(f"GSM{i}" for i in range(36)) + "\nG1\n")
    _write(tmp_path / "data" / "samples.tsv", "sample\tlabel\n" + "".join(f"S{i}\tx\n" for i in range(36)))
    check = preflight.check_sheet(cfg, ["mrna"])
    assert not check.notes
    message = check.error_message("config/own_data.yaml")
    assert message.splitlines() == [
        "config/own_data.yaml: the sample sheet data/samples.tsv (inputs.sample_sheet.path) shares no sample id "
        "with 1 table(s); its `sample` column must hold the tables' column names exactly:",
        "  data/matrix.tsv.gz (inputs.expression.path): none in common: 36 sheet id(s) are not columns of the table "
        "(e.g. 'S0', 'S1', 'S2' and 33 more); 36 column(s) of the table are not in the sheet "
        "(e.g. 'GSM0', 'GSM1', 'GSM2' and 33 more)",
    ]


def test_a_partly_matching_sheet_is_a_warning_with_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config.validate(
        {
            "analyses": ["motlab"],
            "inputs": {
                "mirna": {"path": "mirna.csv"},
                "sample_sheet": {"path": "sheet.tsv"},
                "outcomes": {"path": "outcomes.tsv"},
            },
            "qc": {"label_source": "sheet"},
            "motlab": {"layers": ["mirna"], "group_column": "site", "source_group": "a", "target_group": "b"},
        }
    )
    _write(tmp_path / "mirna.csv", "Genes,Correction,A,B,C\n")  # Correction is not a sample
    _write(tmp_path / "sheet.tsv", "sample\tlabel\nA\tx\nB\tx\nZ\tx\n")
    check = preflight.check_sheet(cfg, ["mirna"], {"mirna": ["Correction"]})
    assert check.error_message() is None
    assert check.warnings("my.yaml") == [
        "my.yaml: the sample sheet sheet.tsv and mirna.csv (inputs.mirna.path): 2 sample id(s) in common; "
        "1 sheet id(s) are not columns of the table (e.g. 'Z'); 1 column(s) of the table are not in the sheet "
        "(e.g. 'C') (dropped as not_in_sheet)"
    ]


def test_the_sheet_check_leaves_unreadable_files_and_other_labels_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config.load(OWN_DATA)
    _write(tmp_path / "data" / "matrix.tsv.gz", "")  # empty: the job's reader says so in full
    _write(tmp_path / "data" / "samples.tsv", "sample\tlabel\nS1\tx\n")
    unread = preflight.check_sheet(cfg, ["mrna"])
    assert unread.errors == unread.notes == ()
    tcga = config.validate({})
    assert preflight.check_sheet(tcga, ["mrna"]) == preflight.SheetCheck()  # labels from the CDR


def test_the_workflow_lists_all_three_missing_inputs_of_own_motlab(tmp_path):
    r = run_snakemake(["-n", "--configfile", str(OWN_MOTLAB)], tmp_path, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "3 input files named in the config do not exist" in out, out[-3000:]
    for line in ("inputs.sample_sheet.path: file data/samples.tsv", "inputs.outcomes.path: file data/outcomes.tsv"):
        assert line in out
    assert "extra_layers.protein.path: file data/protein.tsv does not exist" in out


def test_the_workflow_stops_on_a_sheet_that_matches_no_column(tmp_path):
    cfg = yaml.safe_load(OWN_DATA.read_text())
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(cfg))
    _write(tmp_path / "data" / "matrix.tsv.gz", "gene\tGSM1\tGSM2\nG1\t1\t2\n")
    _write(tmp_path / "data" / "samples.tsv", "sample\tlabel\nS1\tx\nS2\ty\n")
    r = run_snakemake(["-n", "--configfile", "mine.yaml"], tmp_path, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "mine.yaml: the sample sheet data/samples.tsv (inputs.sample_sheet.path) shares no sample id" in out
    assert "(e.g. 'S1', 'S2')" in out and "(e.g. 'GSM1', 'GSM2')" in out
    assert not (tmp_path / "results").exists()
