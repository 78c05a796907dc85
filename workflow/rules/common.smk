# Helpers shared by every .smk file -- config validation, input resolution, target lists.
import copy

from snakemake.logging import logger
from snakemake.resources import Resource

from tcgatl import config as tcgatl_config
from tcgatl import paths
from tcgatl import report as tcgatl_report  # only .sources is loaded (light)
from tcgatl.errors import ConfigError
from tcgatl.inputs import gdc, preflight
from tcgatl.inputs import weights as tcgatl_weights
from tcgatl.inputs.demo_files import FILES as DEMO_FILES
from tcgatl.jobs import model as job_model
from tcgatl.jobs.gpus import visible_gpus
from tcgatl.jobs import work as job_work
from tcgatl.motlab.options import SCHEMES, SMOTE_OPTIONS
from tcgatl.pancancer.options import BACKBONES, BASELINE, LAYOUTS

# Validate before any job starts; defaults from the schema are filled into `config`. A copy:
# used as a module, `config` is the object the user's Snakefile passed (module ...: config:),
# which must not gain this workflow's defaults behind the user's back. Every problem is listed
# at once, under the config file(s) it is about, each naming the file that set its key.
config = copy.deepcopy(config)
CONFIG_SOURCES = tcgatl_config.Sources.read(workflow.configfiles, workflow.config_settings.config)
CONFIG_SOURCE = str(CONFIG_SOURCES) or "the workflow config"
try:
    tcgatl_config.validate(config, source=CONFIG_SOURCES if CONFIG_SOURCES.names else CONFIG_SOURCE)
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

PC = config["pancancer"]
IG = config["ig"]
MOT = config["motlab"]
GPU = 1 if config["resources"]["gpu"] else 0
# The deep-learning env of the jobs that ask for a GPU: TensorFlow's CUDA build with one.
DL_ENV = "../../envs/dl-gpu.yaml" if GPU else "../../envs/dl.yaml"
TF_THREADS = config["resources"]["tensorflow_threads"]
# The settings a job's results depend on, as its params: Snakemake reruns a job whose params
# changed, so the lists of targets (backbones, layouts, endpoints, schemes) stay out, and adding
# a backbone or an endpoint does not rerun the others.
# Where the ImageNet weights come from is not a setting of the model (the file is an input).
PC_TRAIN = {
    k: v
    for k, v in PC.items()
    if k not in ("layouts", "backbones", "bootstrap", "cv_folds", "cv_repeats", "weights_download", "weights_url")
}
MOT_FIT = {k: v for k, v in MOT.items() if k not in ("endpoints", "years", "schemes")}


wildcard_constraints:
    layout="|".join(LAYOUTS),
    backbone="|".join(BACKBONES),
    endpoint="|".join(MOT["endpoints"]),
    years=r"\d+",
    scheme="|".join(SCHEMES),
    smote="|".join(SMOTE_OPTIONS),
    repeat=r"\d+",
    fold=r"\d+",


# The checkout this file belongs to. Not workflow.basedir: that is the folder of the *main*
# Snakefile, which is the user's own when this workflow is used as a module (docs/module.md: Use as a
# module); current_basedir is the folder of the file being parsed, workflow/rules here.
WORKFLOW_ROOT = Path(str(workflow.current_basedir)).parents[1]


def _manifest_path():
    path = Path(config["gdc"]["manifest"])
    if path.is_absolute() or path.exists():
        return path
    # Relative and not in the working directory: the workflow's own copy. source_path resolves
    # it against this file, and fetches it into the source cache for a github(...) module.
    return Path(workflow.source_path(f"../../{path}"))


MANIFEST = gdc.read_manifest(_manifest_path())
# Every local input file that is missing, listed before any job runs.
if message := preflight.missing_message(config, CONFIG_SOURCE, MANIFEST):
    raise WorkflowError(message)


def manifest_entry(wildcards):
    """The manifest entry of a download job's {filename}."""
    return next(e for e in MANIFEST.values() if e.filename == wildcards.filename)


# ---- job requests ------------------------------------------------------------------------------
# Every rule's runtime, mem_mb and disk_mb come from tcgatl.jobs: measured from the job's own
# inputs when it is ready to run (<TBD> in a dry run before its inputs exist), fitted
# coefficients with a margin, and more on each retry (Snakemake's `attempt`).
try:
    JOB_COSTS = job_model.load(config["resources"]["coefficients"])
except ValueError as exc:
    raise WorkflowError(f"resources.coefficients: {exc}") from None
_JOB_WORK = {}


def job_requests(rule, **extra):
    """The resources of `rule`'s jobs (keyword arguments of `resources:`). `extra` holds further
    facts a measure needs, as values or functions of the wildcards."""

    def work(wildcards, input):
        facts = {k: v(wildcards) if callable(v) else v for k, v in extra.items()}
        key = (rule, tuple(job_work._files(input)), tuple(sorted(dict(wildcards.items()).items())))
        if key not in _JOB_WORK:
            _JOB_WORK[key] = job_work.measure(rule, input, wildcards, config, **facts)
        return _JOB_WORK[key]

    def one(resource):
        return lambda wildcards, input, attempt: JOB_COSTS.request(rule, work(wildcards, input), attempt)[resource]

    return {resource: one(resource) for resource in ("runtime", "mem_mb", "disk_mb")}


# A run on this machine (no --jobs/executor: Snakemake's _nodes is unset) shares the machine's
# memory: jobs start only while their mem_mb fit in it, and a request above it is lowered to it.
# `--resources mem_mb=N` sets another cap. Cluster runs are limited by the cluster instead.
if workflow.global_resources["_nodes"].value is None and "mem_mb" not in workflow.global_resources:
    workflow.global_resources["mem_mb"] = Resource(
        "mem_mb", os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1_000_000
    )
# Likewise its GPUs: with resources.gpu, at most one job per card at a time (at least one job,
# so that a machine whose cards are not listed still runs); `--resources gpu=N` sets another cap.
if GPU and workflow.global_resources["_nodes"].value is None and "gpu" not in workflow.global_resources:
    workflow.global_resources["gpu"] = Resource("gpu", max(1, visible_gpus()))


def raw(name):
    """Path of raw input `name`: the demo file, a local path, or the GDC download target."""
    if config["demo"]["enabled"]:
        return paths.demo_raw(DEMO_FILES[name])
    spec = config["inputs"][name]
    if spec["path"]:
        # The files the analyses read were checked above; this catches one a rule names anyway.
        if not os.path.exists(spec["path"]):
            line = preflight.missing_line(config, f"inputs.{name}.path", spec["path"], MANIFEST)
            raise WorkflowError(f"{line}. Relative paths are read from the working directory, {os.getcwd()}.")
        return spec["path"]
    if spec["gdc_id"] is None:
        return None
    if spec["gdc_id"] not in MANIFEST:
        raise WorkflowError(f"inputs.{name}.gdc_id: {spec['gdc_id']} is not listed in {_manifest_path()}")
    return paths.download(MANIFEST[spec["gdc_id"]].filename)


def raw_inputs(*names):
    """Named input dict of the raw files that are configured (optional ones may be absent)."""
    return {n: p for n in names if (p := raw(n)) is not None}


# The ImageNet weights file of each backbone the pan-cancer stage loads (rule imagenet_weights),
# and where it must be: pancancer.weights_dir, or the Keras cache.
IMAGENET_WEIGHTS = (
    {b: BACKBONES[b].weights_file for b in tcgatl_weights.needed(PC)} if "pancancer" in config["analyses"] else {}
)
WEIGHTS_FOLDER = tcgatl_weights.weights_folder(PC["weights_dir"])
# Offline sites (weights_download: false) place the files by hand: every missing one is listed
# now, before any job runs.
if IMAGENET_WEIGHTS and not PC["weights_download"]:
    if message := tcgatl_weights.missing_message(PC, "the workflow config"):
        raise WorkflowError(message)


def imagenet_weights_input(wildcards):
    """The training job's weights file ([] with pancancer.weights: none)."""
    if wildcards.backbone not in IMAGENET_WEIGHTS:
        return []
    return [str(WEIGHTS_FOLDER / IMAGENET_WEIGHTS[wildcards.backbone])]


# Table layers share one rule (layer_features); methylation is streamed by its own rule.
TABLE_LAYERS = ["mrna", "mirna", *config["extra_layers"]]


# MOTLAB's clinical table: the TCGA-CDR, or an outcomes table of one's own (motlab.group_column).
MOT_CLINICAL = paths.clinical("outcomes" if MOT["group_column"] else "cdr")


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
        table = raw(tcgatl_config.LAYER_INPUTS[layer])
    else:
        table = config["extra_layers"][layer]["path"]
        if not os.path.exists(table):
            raise WorkflowError(f"extra_layers.{layer}.path: file {table} does not exist")
    return {"table": table, **labelling_inputs()}


def labelling_inputs():
    """What a layer's sample QC reads besides the table: the CDR or the sample sheet (its
    labels, qc.label_source), and the sample-quality annotation when configured."""
    if config["qc"]["label_source"] == "sheet":
        labels = {"sheet": raw("sample_sheet")}
    else:
        labels = {"cdr": paths.clinical("cdr")}
    return labels | raw_inputs("sample_quality")


def feature_layers():
    """Every feature matrix the configured analyses read, in a stable order."""
    return list(
        dict.fromkeys(
            [
                *([PC["matrix"]] if "pancancer" in config["analyses"] else []),
                *(MOT["layers"] if "motlab" in config["analyses"] else []),
                *config["extra_layers"],
            ]
        )
    )


# The sample sheet's ids against each local table's header: a table without a sheet id stops
# the run now rather than its job; ids on one side only are worth a warning.
if workflow.is_main_process:
    SHEET_CHECK = preflight.check_sheet(config, feature_layers(), {"mirna": layer_spec("mirna")["skip"]})
    for warning in SHEET_CHECK.warnings(CONFIG_SOURCE):
        logger.warning(warning)
    if message := SHEET_CHECK.error_message(CONFIG_SOURCE):
        raise WorkflowError(message)


# The clinical table built from each raw clinical input (rules clinical_table, outcomes_table).
CLINICAL_TABLE_OF_INPUT = {"clinical": "cdr", "outcomes": "outcomes"}


def feature_targets():
    read = tcgatl_config.read_inputs(config)
    clinical = [paths.clinical(table) for name, table in CLINICAL_TABLE_OF_INPUT.items() if name in read]
    return clinical + [paths.features(layer, role) for layer in feature_layers() for role in ("matrix", "labels", "qc")]


def pancancer_runs():
    """(layout, backbone) of every configured pan-cancer model."""
    return [(lay, bb) for lay in PC["layouts"] for bb in PC["backbones"]]


def cv_partitions():
    """(repeat, fold, partition prefix) of every cross-validation fold; none without cv_folds."""
    return [(r, f, paths.cv_fold(r, f)) for r in range(PC["cv_repeats"]) for f in range(PC["cv_folds"])]


def pancancer_cv_metrics():
    """((repeat, fold, layout, backbone), metrics.json) of every model on every cross-validation
    fold (pancancer.cv_folds x cv_repeats), the baseline included; none without cv_folds."""
    out = []
    for r, f, part in cv_partitions():
        out += [((r, f, lay, bb), paths.evaluation_files(part, lay, bb)["metrics"]) for lay, bb in pancancer_runs()]
        out.append(((r, f, *BASELINE), paths.baseline_files(part)["metrics"]))
    return out


def pancancer_targets():
    runs = pancancer_runs()
    return (
        [paths.evaluation_files(paths.SINGLE, lay, bb)["metrics"] for lay, bb in runs]
        + [paths.baseline_files()["metrics"]]
        + [paths.ig_files(lay, bb)["top"] for lay, bb in runs]
        + ([paths.CV_FILES["summary"]] if PC["cv_folds"] else [])
        + [paths.ig_files(lay, bb)[k] for lay, bb in runs for k in ("de_agreement", "faithfulness")]
    )


def motlab_targets():
    endpoints = [(ep, y) for ep in MOT["endpoints"] for y in MOT["years"]]
    return (
        [paths.SUMMARY_FILES["table"], paths.SUMMARY_FILES["figure"]]
        + [paths.label_files(ep, y)["counts"] for ep, y in endpoints]
        + [
            paths.final_model(ep, y, scheme, smote, "preprocessing.json")
            for ep, y in endpoints
            for scheme in MOT["schemes"]
            for smote in SMOTE_OPTIONS
        ]
    )


def all_targets():
    analyses = {"pancancer": pancancer_targets, "motlab": motlab_targets}
    chosen = [t for name in config["analyses"] for t in analyses[name]()]
    return feature_targets() + chosen + [f"{paths.REPORT}/{paths.DOCUMENTS['html']}"]


# The metrics report (report.smk): its inputs, and its outputs with `snakemake --report` annotations.
REPORT_SOURCES = tcgatl_report.Sources(config, paths.RESULTS)


def report_raw_files():
    """Raw inputs this configuration reads (checksummed into the report's provenance)."""
    files = raw_inputs(*tcgatl_config.read_inputs(config))
    files.update({f"extra_layers.{n}": spec["path"] for n, spec in config["extra_layers"].items()})
    return files


def report_inputs(wildcards):
    return REPORT_SOURCES.paths() | {"raw": list(report_raw_files().values())}


def annotated(path, kind, labels=None):
    """``path`` in `snakemake --report`: caption ../report/<kind>.rst, category from the library."""
    category, subcategory = tcgatl_report.CATEGORIES[kind]
    return report(path, caption=f"../report/{kind}.rst", category=category, subcategory=subcategory, labels=labels)


def report_outputs():
    documents = {k: f"{paths.REPORT}/{name}" for k, name in paths.DOCUMENTS.items()}
    out = documents | {"html": annotated(documents["html"], "metrics_report")}
    for i, (rel, kind, labels) in enumerate(tcgatl_report.output_files(REPORT_SOURCES)):
        path = f"{paths.REPORT}/{rel}"
        if kind != "copy":
            path = annotated(path, kind, labels or None)
        out[f"file_{i}"] = path
    return out
