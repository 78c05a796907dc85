"""MOTLAB: multi-omics breast-cancer prognosis, transferred from European-American (EA) to
African-American (AA) patients.

Modules, in pipeline order: :mod:`.cohort` (patients present in every omics layer, ancestry),
:mod:`.labels` (endpoint x year labels), :mod:`.preprocess` (fold-internal imputation, scaling,
ANOVA selection, omics weighting, SMOTE), :mod:`.net` (the MLP and its compiled training loops),
:mod:`.schemes` (mixture, independent, finetune, ccsa), :mod:`.evaluate` (repeated stratified
K-fold AUROC), :mod:`.final` (checkpoints that score new patients in one call), :mod:`.plots`
and :mod:`.cli` (the original's command line).
"""
