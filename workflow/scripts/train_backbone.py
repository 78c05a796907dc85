"""Fine-tune one ImageNet backbone on one gene layout's images (rule train_backbone)."""
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tcgatl.logs import setup  # noqa: E402

log = setup(snakemake.log[0])  # before TensorFlow loads, so its messages go to the log

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tcgatl.pancancer import checkpoint, models, training  # noqa: E402
from tcgatl.io import write_table  # noqa: E402

pc, backbone = snakemake.params.cfg, snakemake.wildcards.backbone
cfg = training.TrainConfig.from_config(pc, snakemake.params.seed)
index = pd.read_csv(snakemake.input.index, sep="\t", dtype={"split": str})
classes = sorted(index.loc[index["split"] == "train", "label"].unique())
x, y = {}, {}
for part in ("train", "val"):
    x[part] = np.load(snakemake.input[part], mmap_mode="r")
    y[part] = training.label_indices(index, part, classes, snakemake.input.index)
log.info("%s on %s images %s: %d training, %d validation samples, %d classes", backbone,
         snakemake.wildcards.layout, x["train"].shape[1:], len(y["train"]), len(y["val"]), len(classes))

model = models.build(backbone, x["train"].shape[1:], len(classes), size=pc["image_size"], weights=pc["weights"],
                     weights_dir=pc["weights_dir"], seed=cfg.seed)
out_dir = os.path.dirname(snakemake.output.model)
with tempfile.TemporaryDirectory(prefix=".activations.", dir=out_dir) as cache:
    history = training.train(model, backbone, x["train"], y["train"], x["val"], y["val"], cfg, cache)
write_table(history, snakemake.output.history)
checkpoint.save(dict(snakemake.output.items()), model, classes, snakemake.input.layout, snakemake.input.scaling,
                {"backbone": backbone, "layout": snakemake.wildcards.layout, "image_size": pc["image_size"],
                 "weights": pc["weights"], "features": snakemake.params.features, "seed": cfg.seed})
