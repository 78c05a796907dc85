"""The local files a validated config names, checked before any job runs: every missing file in
one message (not the first one a rule happens to ask for), and the sample sheet's ids against
each local matrix's header, which otherwise fails only in the job, as "no samples left after QC".

Of the files, only the sample sheet (one row per sample) and each table's header line are read,
so the checks cost milliseconds on any cohort; the jobs' readers check the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..config import LAYER_INPUTS, read_inputs
from ..errors import InputError


def _own_data(config: dict) -> bool:
    """Labels or outcomes of one's own: the files are the user's, and suggesting a TCGA download
    in their place would silently swap in TCGA's."""
    return config["qc"]["label_source"] == "sheet" or config["motlab"]["group_column"] is not None


def local_files(config: dict) -> dict[str, str]:
    """Config key (``inputs.expression.path``, ``extra_layers.protein.path``) -> local path of
    every file the run reads from disk: the raw inputs the configured analyses read (none for the
    demo, which generates them) and every extra layer (each becomes a feature matrix)."""
    files = {}
    if not config["demo"]["enabled"]:
        for name in read_inputs(config):
            if (path := config["inputs"][name]["path"]) is not None:
                files[f"inputs.{name}.path"] = path
    for layer, spec in config["extra_layers"].items():
        files[f"extra_layers.{layer}.path"] = spec["path"]
    return files


def missing_line(config: dict, key: str, path: str, manifest: dict | None = None) -> str:
    """The line naming one missing file; for a TCGA input, where to fetch it or how to let the
    workflow download it (``manifest``: GDC id -> entry with a ``filename``)."""
    line = f"{key}: file {path} does not exist"
    section, name, _ = key.split(".")
    gdc_id = config["inputs"][name]["gdc_id"] if section == "inputs" else None
    if manifest and gdc_id in manifest and not _own_data(config):
        line += (
            f"; fetch {manifest[gdc_id].filename} from {config['gdc']['base_url']}/data/{gdc_id} and place it"
            f" there, or set inputs.{name}.path: null to let the workflow download it"
        )
    return line


def missing_message(config: dict, source: str = "", manifest: dict | None = None) -> str | None:
    """One message listing every file of :func:`local_files` that does not exist (relative paths
    are read from the working directory); None when all do."""
    absent = {key: path for key, path in local_files(config).items() if not os.path.exists(path)}
    if not absent:
        return None
    count = f"{len(absent)} input file{'s' if len(absent) > 1 else ''} named in the config"
    head = f"{source}: {count}" if source else count
    return "\n".join(
        [
            f"{head} {'do' if len(absent) > 1 else 'does'} not exist. Relative paths are read from the working "
            f"directory, {os.getcwd()}.",
            *(f"  {missing_line(config, key, path, manifest)}" for key, path in absent.items()),
        ]
    )


@dataclass(frozen=True)
class SheetCheck:
    """The sample sheet against the tables, one line per table: ``errors`` stop the run (a table
    none of whose columns is in the sheet: its job would keep no sample), ``notes`` are worth a
    warning (ids on one side only: those columns are dropped, those sheet rows unused)."""

    sheet: str | None = None
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def error_message(self, source: str = "") -> str | None:
        """One message for every table that shares no id with the sheet; None when none."""
        if not self.errors:
            return None
        head = f"{source}: " if source else ""
        return "\n".join(
            [
                f"{head}the sample sheet {self.sheet} (inputs.sample_sheet.path) shares no sample id with "
                f"{len(self.errors)} table(s); its `sample` column must hold the tables' column names exactly:",
                *(f"  {line}" for line in self.errors),
            ]
        )

    def warnings(self, source: str = "") -> list[str]:
        head = f"{source}: " if source else ""
        return [f"{head}the sample sheet {self.sheet} and {line}" for line in self.notes]


def layer_table(config: dict, layer: str) -> tuple[str, str | None]:
    """(config key, local path or None) of the table feature layer ``layer`` is built from."""
    if layer in LAYER_INPUTS:
        return f"inputs.{LAYER_INPUTS[layer]}.path", config["inputs"][LAYER_INPUTS[layer]]["path"]
    return f"extra_layers.{layer}.path", config["extra_layers"][layer]["path"]


def check_sheet(config: dict, layers, skip: dict | None = None) -> SheetCheck:
    """Compare the sample sheet's ids with the header of each local table of ``layers`` (the
    feature layers the run builds); ``skip``: layer -> annotation columns after the id column
    that are not samples (the miRNA matrix's ``Correction``).

    Only a run labelled by a local sheet (``qc.label_source: sheet``) is checked. A file that
    cannot be read is left to the job that reads it, whose reader says what is wrong in full.
    """
    sheet = config["inputs"]["sample_sheet"]["path"]
    if config["demo"]["enabled"] or config["qc"]["label_source"] != "sheet" or sheet is None:
        return SheetCheck()
    # Imported only now: the workflow imports this module at parse time, and a run without a
    # sample sheet should not pay for numpy, pandas and pyarrow there.
    from .matrix import read_header, sniff_sep
    from .sheet import compare_ids, read_sample_sheet

    try:
        sheet_ids = read_sample_sheet(sheet).index.tolist()
    except InputError:
        return SheetCheck()
    errors, notes = [], []
    for layer in layers:
        key, path = layer_table(config, layer)
        if path is None:
            continue
        try:
            header = read_header(path, sniff_sep(path))
        except InputError:
            continue
        found = compare_ids(sheet_ids, [c for c in header[1:] if c not in (skip or {}).get(layer, ())])
        if found is not None:
            (errors if found.shared == 0 else notes).append(f"{path} ({key}): {found}")
    return SheetCheck(sheet, tuple(errors), tuple(notes))
