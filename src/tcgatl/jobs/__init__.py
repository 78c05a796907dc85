"""What each job of the workflow asks the scheduler for: runtime, memory and scratch disk.

``work`` measures a job's real inputs and settings (samples, genes, image size, backbone, IG
evaluations, folds, layers); ``model`` turns them into requests with coefficients fitted on
measured jobs (``coefficients.yaml``, with the machine, date and margins they were measured
with) and the TensorFlow rates ``tcgatl-project`` timed (``rates/``). Both are light enough
for Snakemake to call while it schedules jobs (pyarrow and numpy are imported only to read a
file's shape).
"""
