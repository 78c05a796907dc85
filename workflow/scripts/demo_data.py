"""Generate the embedded demo's raw TCGA-format files (rule demo_data)."""
from tcgatl.inputs import demo
from tcgatl.logs import setup

log = setup(snakemake.log[0])
params = demo.DemoParams.from_config(snakemake.params.demo)
paths = demo.generate(snakemake.output.expression.removesuffix(demo.FILES["expression"]), params)
log.info("wrote %d demo files", len(paths))
