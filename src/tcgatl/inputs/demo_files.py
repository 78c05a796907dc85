"""The demo's raw files (:mod:`tcgatl.inputs.demo` writes them), by input name, relative to the
demo's raw folder: the real GDC file names, and the planted ground truth beside them. The rules
and the report wire their inputs from here.

Standard library only: the workflow imports it at parse time.
"""

FILES = {
    "expression": "EBPlusPlusAdjustPANCAN_IlluminaHiSeq_RNASeqV2.geneExp.tsv",
    "sample_quality": "merged_sample_quality_annotations.tsv",
    "clinical": "TCGA-CDR-SupplementalTableS1.xlsx",
    "ancestry": "Genetic_Ancestry.xlsx",
    "mirna": "pancanMiRs_EBadjOnProtocolPlatformWithoutRepsWithUnCorrectMiRs_08_04_16.csv",
    "methylation": "jhu-usc.edu_PANCAN_HumanMethylation450.betaValue_whitelisted.tsv",
    "markers": "ground_truth/markers.tsv",
    "prognosis": "ground_truth/prognosis.tsv",
    "truth": "ground_truth/truth.json",
}
