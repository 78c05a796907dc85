"""Final models (without and with SMOTE) on all labelled patients, saved with their
preprocessing (rule motlab_final_model)."""
from pathlib import Path

from tcgatl.logs import setup

log = setup(snakemake.log[0])  # before TensorFlow loads, so its messages go to the log

from tcgatl.motlab import net  # noqa: E402
from tcgatl.motlab.evaluate import Data, Settings  # noqa: E402
from tcgatl.motlab.final import fit_final  # noqa: E402

cfg = snakemake.params.cfg
net.configure_threads(snakemake.threads)
data = Data.from_files(snakemake.input.cohort, dict(zip(cfg["layers"], snakemake.input.layers)), snakemake.input.labels)
wc = snakemake.wildcards
for smote in ("nosmote", "smote"):
    model = fit_final(wc.scheme, data, Settings.from_config(cfg), snakemake.params.seed, smote == "smote",
                      meta={"endpoint": wc.endpoint, "years": int(wc.years)})
    # preprocessing.json is written last, so its presence means a complete checkpoint.
    out = next(Path(p).parent for p in snakemake.output.models if f"/{wc.scheme}_{smote}/" in p)
    model.save(out)
