"""gene layout (issue #4). Not implemented yet: fails loudly and writes no outputs."""
from tcgatl.logs import not_implemented, setup

setup(snakemake.log[0])
not_implemented("gene layout", issue=4)
