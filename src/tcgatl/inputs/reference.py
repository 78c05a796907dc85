"""Reference data of real TCGA files that ship with the package (``inputs/data``): the EB++
matrix's gene ids and the TCGA-CDR's patients per tumour type. Config validation reads them and
the demo generator names its genes and sizes its types after them.

Standard library only: the workflow imports it at parse time.
"""

from __future__ import annotations

from importlib import resources


def _package_lines(name: str) -> list[str]:
    text = resources.files("tcgatl.inputs").joinpath(f"data/{name}").read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def ebpp_gene_ids() -> list[str]:
    """The 20,531 gene ids of the real EB++ matrix, in its row order."""
    return _package_lines("ebpp_gene_ids.txt")


def demo_gene_ids() -> list[str]:
    """Every 7th EB++ id (2,933): the pool small demos draw their genes from."""
    return ebpp_gene_ids()[6::7]


def tcga_type_sizes() -> dict[str, int]:
    """Patients per tumour type in the TCGA-CDR (33 types, 11,160 patients)."""
    rows = [line.split("\t") for line in _package_lines("tcga_type_sizes.tsv")[1:]]
    return {t: int(n) for t, n in rows}
