"""tcgatl: library behind the TCGA transfer-learning reanalysis workflow.

Importable and testable without Snakemake; the workflow's scripts are thin wrappers around it.
"""

__version__ = "0.1.0"
