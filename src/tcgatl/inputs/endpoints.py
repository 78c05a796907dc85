"""The TCGA-CDR's survival endpoints, each an event flag and its time in days (``PFI``,
``PFI.time``): the one list that the clinical table, MOTLAB's labels, the config schema and the
rules share. Standard library only, so the workflow can import it to wire the rules."""

ENDPOINTS = ["OS", "DSS", "DFI", "PFI"]
