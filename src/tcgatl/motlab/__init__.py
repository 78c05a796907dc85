"""MOTLAB: multi-omics breast-cancer prognosis, transferred from European-American (EA) to
African-American (AA) patients.

Modules, in pipeline order: :mod:`.options` (what a config may choose: endpoints, schemes,
networks; standard library only), :mod:`.cohort` (patients present in every omics layer,
ancestry), :mod:`.labels` (endpoint x year labels), :mod:`.preprocess` (fold-internal
imputation, scaling, ANOVA selection, omics weighting, SMOTE), :mod:`.net` (the MLP and its
compiled training loops), :mod:`.schemes` (mixture, independent, finetune, ccsa and the linear
reference), :mod:`.evaluate` (repeated stratified K-fold AUROC), :mod:`.paired` (paired
bootstrap comparisons of the schemes), :mod:`.final` (checkpoints that score new patients in
one call), :mod:`.plots`, :mod:`.steps` (the workflow's rules) and :mod:`.cli` (the original's
command line).
"""
