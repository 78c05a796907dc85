# Helpers shared by every .smk file -- config validation, input resolution, target lists.
import re

from tcgatl import config as tcgatl_config
from tcgatl.inputs import gdc
from tcgatl import report as tcgatl_report  # only .sources is loaded (standard library)
from tcgatl.inputs.demo import FILES as DEMO_FILES
from tcgatl.errors import ConfigError

# Validate before any job starts; defaults from the schema are filled into `config`.
try:
    tcgatl_config.validate(config, source="the workflow config")
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

DEMO_RAW = "results/demo/raw"
RESULTS = "results"
LOGS = "results/logs"
BENCH = "results/benchmarks"
PC = config["pancancer"]
IG = config["ig"]
MOT = config["motlab"]
GPU = 1 if config["resources"]["gpu"] else 0
# The settings a job's results depend on, as its params: Snakemake reruns a job whose params
# changed, so the lists of targets (backbones, layouts, endpoints, schemes) stay out, and adding
# a backbone or an endpoint does not rerun the others.
PC_TRAIN = {k: v for k, v in PC.items() if k not in ("layouts", "backbones", "bootstrap", "cv_folds", "cv_repeats")}
MOT_FIT = {k: v for k, v in MOT.items() if k not in ("endpoints", "years", "schemes")}

_PC_SCHEMA = tcgatl_config.load_schema()["properties"]["pancancer"]["properties"]


wildcard_constraints:
    layout="|".join(_PC_SCHEMA["layouts"]["items"]["enum"]),
    backbone="|".join(_PC_SCHEMA["backbones"]["items"]["enum"]),


def _manifest_path():
    path = Path(config["gdc"]["manifest"])
    if not path.is_absolute() and not path.exists():
        path = Path(workflow.basedir) / path
    return path


MANIFEST = gdc.read_manifest(_manifest_path())


def raw(name):
    """Path of raw input `name`: the demo file, a local path, or the GDC download target."""
    if config["demo"]["enabled"]:
        return f"{DEMO_RAW}/{DEMO_FILES[name]}"
    spec = config["inputs"][name]
    if spec["path"]:
        if not os.path.exists(spec["path"]):
            hint = ""
            if spec["gdc_id"] in MANIFEST:
                hint = (
                    f" Fetch {MANIFEST[spec['gdc_id']].filename} from "
                    f"{config['gdc']['base_url']}/data/{spec['gdc_id']} and place it there,"
                    f" or set inputs.{name}.path: null to let the workflow download it."
                )
            raise WorkflowError(f"inputs.{name}.path: file {spec['path']} does not exist.{hint}")
        return spec["path"]
    if spec["gdc_id"] is None:
        return None
    if spec["gdc_id"] not in MANIFEST:
        raise WorkflowError(
            f"inputs.{name}.gdc_id: {spec['gdc_id']} is not listed in {_manifest_path()}"
        )
    return f"{RESULTS}/raw/{MANIFEST[spec['gdc_id']].filename}"


def raw_inputs(*names):
    """Named input dict of the raw files that are configured (optional ones may be absent)."""
    return {n: p for n in names if (p := raw(n)) is not None}


# Table layers share one rule (layer_features); methylation is streamed by its own rule.
TABLE_LAYERS = ["mrna", "mirna", *config["extra_layers"]]


def layer_spec(layer):
    """How table layer `layer` is read and transformed."""
    if layer in ("mrna", "mirna"):
        # The miRNA matrix's second column says whether a row was batch-corrected.
        return {"features": config["features"], "skip": ["Correction"] if layer == "mirna" else []}
    extra = config["extra_layers"][layer]
    return {"features": {k: extra[k] for k in ("negatives", "missing", "log2")} | {"drop_constant": True}, "skip": []}


def layer_inputs(wildcards):
    layer = wildcards.layer
    if layer in ("mrna", "mirna"):
        table = raw("expression" if layer == "mrna" else "mirna")
    else:
        table = config["extra_layers"][layer]["path"]
        if not os.path.exists(table):
            raise WorkflowError(f"extra_layers.{layer}.path: file {table} does not exist")
    return {"table": table, "cdr": f"{RESULTS}/clinical/cdr.parquet", **raw_inputs("sample_quality")}


def feature_layers():
    """Every feature matrix the configured analyses read, in a stable order."""
    return list(dict.fromkeys([PC["matrix"], *MOT["layers"], *config["extra_layers"]]))


def feature_targets():
    return [f"{RESULTS}/clinical/cdr.parquet"] + [
        f"{RESULTS}/features/{layer}.{ext}" for layer in feature_layers() for ext in ("parquet", "labels.tsv", "qc.tsv")
    ]


def pancancer_run_dirs():
    return expand(f"{RESULTS}/pancancer/{{layout}}/{{backbone}}", layout=PC["layouts"], backbone=PC["backbones"])


def pancancer_targets():
    runs = pancancer_run_dirs()
    return (
        [f"{d}/metrics.json" for d in runs]
        + [f"{RESULTS}/pancancer/baseline/metrics.json"]
        + [f"{d}/ig/top_genes.tsv" for d in runs]
    )


def motlab_targets():
    return [f"{RESULTS}/motlab/auroc_summary.tsv", f"{RESULTS}/motlab/auroc_by_scheme.png"] + expand(
        f"{RESULTS}/motlab/{{endpoint}}_{{years}}y/label_counts.tsv", endpoint=MOT["endpoints"], years=MOT["years"]
    ) + expand(
        f"{RESULTS}/motlab/{{endpoint}}_{{years}}y/{{scheme}}_{{smote}}/model/preprocessing.json",
        endpoint=MOT["endpoints"],
        years=MOT["years"],
        scheme=MOT["schemes"],
        smote=["smote", "nosmote"],
    )


def all_targets():
    return feature_targets() + pancancer_targets() + motlab_targets() + [f"{RESULTS}/report/index.html"]


# The metrics report (report.smk): its inputs, and its outputs with `snakemake --report` annotations.
REPORT_DIR = f"{RESULTS}/report"
REPORT_SOURCES = tcgatl_report.Sources(config, RESULTS)
# Report category (and subcategory) of each kind of file; the caption is ../report/<kind>.rst.
REPORT_CATEGORY = {
    "samples_per_type_figure": ("1. Data", "Samples"),
    "samples_per_type_table": ("1. Data", "Samples"),
    "qc_samples": ("1. Data", "Quality control"),
    "qc_features": ("1. Data", "Quality control"),
    "example_images": ("1. Data", "Example gene images"),
    "pancancer_summary": ("2. Pan-cancer", "Summary"),
    "pancancer_metrics": ("2. Pan-cancer", "Summary"),
    "per_class_f1_figure": ("2. Pan-cancer", "Summary"),
    "per_class_f1_table": ("2. Pan-cancer", "Summary"),
    "training_curves": ("2. Pan-cancer", "Training"),
    "training_history": ("2. Pan-cancer", "Training"),
    "confusion": ("2. Pan-cancer", "Confusion matrices"),
    "confusion_table": ("2. Pan-cancer", "Confusion matrices"),
    "ig_completeness": ("3. Integrated Gradients", "Summary"),
    "ig_top_genes": ("3. Integrated Gradients", "Summary"),
    "motlab_auroc": ("4. MOTLAB", "Summary"),
    "motlab_weights": ("4. MOTLAB", "Omics weights"),
    "motlab_labels": ("4. MOTLAB", "Cohort"),
    "motlab_cohort": ("4. MOTLAB", "Cohort"),
    "software_versions": ("5. Provenance", None),
    "input_checksums": ("5. Provenance", None),
    "config": ("5. Provenance", None),
}


def report_raw_files():
    """Raw inputs this configuration reads (checksummed into the report's provenance)."""
    layer_input = {"mrna": "expression", "mirna": "mirna", "methylation": "methylation"}
    names = ["clinical", "sample_quality", *(layer_input[l] for l in feature_layers() if l in layer_input)]
    if MOT["ancestry_source"] == "eigenstrat":
        names.append("ancestry")
    files = raw_inputs(*names)
    files.update({f"extra_layers.{n}": spec["path"] for n, spec in config["extra_layers"].items()})
    return files


def report_inputs(wildcards):
    return REPORT_SOURCES.paths() | {"raw": list(report_raw_files().values())}


def report_outputs():
    out = {
        "html": report(
            f"{REPORT_DIR}/{tcgatl_report.DOCUMENTS['html']}",
            caption="../report/metrics_report.rst",
            category="0. Metrics report",
        ),
        "markdown": f"{REPORT_DIR}/{tcgatl_report.DOCUMENTS['markdown']}",
        "json": f"{REPORT_DIR}/{tcgatl_report.DOCUMENTS['json']}",
    }
    for i, (rel, kind, labels) in enumerate(tcgatl_report.output_files(REPORT_SOURCES)):
        path = f"{REPORT_DIR}/{rel}"
        if kind != "copy":
            category, subcategory = REPORT_CATEGORY[kind]
            path = report(path, caption=f"../report/{kind}.rst", category=category, subcategory=subcategory,
                          labels=labels or None)
        out[f"file_{i}"] = path
    return out
