"""Command line for users of the original MOTLAB code: the same inputs, the same evaluation.

    motlab INPUT_DIR --out_path OUT --cpoint PFI --year 3

INPUT_DIR holds ``BRCA_RNA.csv``, ``BRCA_miRNA.csv``, ``BRCA_Methyl.csv`` (features x samples,
first column the feature id, columns TCGA barcodes), ``TCGA_CDR.xlsx`` and
``Genetic_Ancestry.xlsx`` (EIGENSTRAT EA/AA calls, as the original used).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

from ..commandline import READING_ERRORS, USER_ERRORS, fail, raised_by_library
from ..errors import InputError
from ..inputs import clinical
from ..io import read_table, write_table
from ..logs import quiet_framework_imports
from . import cohort as cohort_mod
from . import labels as labels_mod
from . import paired, plots
from .evaluate import Data, Settings, auroc_table, run_scheme, summarise
from .options import ENDPOINTS, SCHEMES

log = logging.getLogger("tcgatl.motlab")

ORIGINAL_FILES = {"mrna": "BRCA_RNA.csv", "mirna": "BRCA_miRNA.csv", "methylation": "BRCA_Methyl.csv"}


def cli_settings(args) -> Settings:
    """The workflow's defaults (the config schema's ``motlab`` section) with the command line's
    values, and the original's target phase: the source phase's settings, no inner CV."""
    from ..config import defaults

    cfg = {
        **defaults()["motlab"],
        "features_per_layer": args.features_per_layer,
        "weighting": args.weighting,
        "folds": args.folds,
        "repeats": args.repeats,
        "epochs": args.epochs,
        **dict.fromkeys(Settings.TARGET_KEYS),  # null: the source phase's value
    }
    return Settings.from_config(cfg)


def read_original_matrix(path: Path) -> pd.DataFrame:
    """Features x samples CSV -> samples x features float32 (index = barcode)."""
    df = read_table(path, index_col=0)
    if df.shape[1] == 0:
        raise InputError(path, "no sample columns (expected features x samples, first column the feature id)")
    try:
        x = df.apply(pd.to_numeric, errors="raise").T.astype("float32")
    except (ValueError, TypeError) as exc:
        raise InputError(path, f"non-numeric values in the matrix ({exc})") from exc
    x.index = x.index.astype(str).str.strip()
    x.columns = x.columns.astype(str)
    return x


def evaluate_all(
    layers,
    cdr,
    ancestry,
    endpoint,
    years,
    settings: Settings,
    schemes,
    seed,
    out: Path,
    cancer_type="BRCA",
    sources=None,
):
    """Cohort, labels, every scheme's repeated K-fold, tables and figures into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    cohort, steps = cohort_mod.build_cohort(layers, cdr, cancer_type, ancestry, sources)
    lab = labels_mod.cohort_labels(cohort, cdr, endpoint, years)
    write_table(labels_mod.label_counts(lab), out / "label_counts.tsv")
    write_table(steps, out / "cohort_counts.tsv")
    data = Data.from_frames(cohort_mod.patient_frames(layers, cohort, sources), labels_mod.labelled(lab))
    aurocs, oofs, weights = [], [], []
    for scheme in schemes:
        t = time.time()
        oof, w = run_scheme(scheme, data, settings, seed)
        tag = {"endpoint": endpoint, "years": years, "scheme": scheme}
        aurocs.append(auroc_table(oof).assign(**tag))
        oofs.append(oof.assign(**tag))
        weights.append(w.assign(**tag))
        log.info("%s done in %.0fs", scheme, time.time() - t)
    auroc = pd.concat(aurocs, ignore_index=True)
    oof = pd.concat(oofs, ignore_index=True)
    summary = summarise(auroc)
    write_table(auroc, out / "auroc.tsv")
    write_table(paired.paired_table(oof, seed=seed), out / "auroc_paired.tsv")
    write_table(summary, out / "auroc_summary.tsv")
    write_table(oof, out / "oof_predictions.parquet")
    write_table(pd.concat(weights, ignore_index=True), out / "omics_weights.tsv")
    plots.roc_curves(oof, summary, out / "roc_curves.png")
    plots.auroc_by_scheme(summary, out / "auroc_by_scheme.png")
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="motlab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("input_dir", type=Path, help="folder with the original MOTLAB inputs")
    ap.add_argument("--out_path", type=Path, required=True, help="output folder")
    ap.add_argument("--cpoint", choices=ENDPOINTS, default="PFI", help="endpoint (default PFI)")
    ap.add_argument("--year", type=int, default=3, help="year threshold (default 3)")
    ap.add_argument("--schemes", default=",".join(SCHEMES), help="comma-separated schemes")
    ap.add_argument("--ancestry", choices=["eigenstrat", "race"], default="eigenstrat", help="ancestry source")
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--features_per_layer", type=int, default=233)
    ap.add_argument("--weighting", choices=["similarity", "concat"], default="similarity")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    schemes = [s.strip() for s in args.schemes.split(",") if s.strip()]
    bad = [s for s in schemes if s not in SCHEMES]
    if bad:
        ap.error(f"unknown scheme(s) {bad}; choose from {SCHEMES}")
    quiet_framework_imports()
    # Reading the inputs, every failure is the file's (parsers say ValueError). Evaluating
    # them, the library's own errors are the data's (a cohort without EA patients, a layer
    # lacking labelled patients: some are plain ValueErrors) and OSError the output folder's;
    # any other error is a bug and keeps its traceback.
    d = args.input_dir
    reading = d
    try:
        if not d.is_dir():
            raise InputError(d, "is not a folder (expected the folder of the original MOTLAB inputs)")
        # Every missing file at once: a user copying the inputs in should not find them one a run.
        needed = [*ORIGINAL_FILES.values(), "TCGA_CDR.xlsx"]
        needed += ["Genetic_Ancestry.xlsx"] if args.ancestry == "eigenstrat" else []
        if missing := [name for name in needed if not (d / name).exists()]:
            # The ancestry workbook is the one a user may do without: say how.
            race = (
                " (--ancestry race needs no Genetic_Ancestry.xlsx: the CDR's race)"
                if "Genetic_Ancestry.xlsx" in missing
                else ""
            )
            raise InputError(
                d, f"missing {', '.join(missing)}: {len(missing)} of the {len(needed)} original MOTLAB inputs{race}"
            )
        layers, sources = {}, {}
        for name, fname in ORIGINAL_FILES.items():
            reading = d / fname
            layers[name] = read_original_matrix(reading)
            sources[name] = str(reading)
        reading = d / "TCGA_CDR.xlsx"
        cdr = clinical.read_cdr(reading)
        sources["cdr"] = str(reading)
        ancestry = None
        if args.ancestry == "eigenstrat":
            reading = d / "Genetic_Ancestry.xlsx"
            ancestry = cohort_mod.ancestry_from_eigenstrat(clinical.read_ancestry(reading, "BRCA"))
    except READING_ERRORS as exc:
        return fail(ap.prog, exc, reading)
    try:
        settings = cli_settings(args)
        summary = evaluate_all(
            layers,
            cdr,
            ancestry,
            args.cpoint,
            args.year,
            settings,
            schemes,
            args.seed,
            args.out_path / f"{args.cpoint}_{args.year}y",
            sources=sources,
        )
    except OSError as exc:
        return fail(ap.prog, exc, f"cannot write the results to {args.out_path}")
    except USER_ERRORS as exc:
        return fail(ap.prog, exc, f"the inputs in {d}")
    except ValueError as exc:
        if not raised_by_library(exc):
            raise
        return fail(ap.prog, exc, f"the inputs in {d}")
    print(summary.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
