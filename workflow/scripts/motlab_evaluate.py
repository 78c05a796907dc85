"""Repeated stratified K-fold AUROC of one scheme, with and without SMOTE (rule motlab_evaluate)."""
from tcgatl.logs import setup

log = setup(snakemake.log[0])  # before TensorFlow loads, so its messages go to the log

from tcgatl.io import write_table  # noqa: E402
from tcgatl.motlab import net  # noqa: E402
from tcgatl.motlab.evaluate import Data, Settings, auroc_table, run_scheme  # noqa: E402

cfg = snakemake.params.cfg
net.configure_threads(snakemake.threads)
data = Data.from_files(snakemake.input.cohort, dict(zip(cfg["layers"], snakemake.input.layers)), snakemake.input.labels)
scheme = snakemake.wildcards.scheme
oof, weights = run_scheme(scheme, data, Settings.from_config(cfg), snakemake.params.seed)
tag = {"endpoint": snakemake.wildcards.endpoint, "years": int(snakemake.wildcards.years), "scheme": scheme}
auroc = auroc_table(oof).assign(**tag)
log.info("AUROC per repeat:\n%s", auroc.to_string(index=False))
write_table(weights.assign(**tag), snakemake.output.weights)
write_table(oof.assign(**tag), snakemake.output.oof)
write_table(auroc, snakemake.output.auroc)
