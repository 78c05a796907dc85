"""Inputs: acquisition (GDC downloads, the embedded demo), TCGA barcodes, sample QC, the clinical
table, and the feature matrices (wide tables, streamed methylation) every analysis reads."""
