"""Verified, resumable download of one GDC file (rule download_gdc)."""
from tcgatl.inputs import gdc
from tcgatl.logs import setup

log = setup(snakemake.log[0])
entry, cfg = snakemake.params.entry, snakemake.params.gdc
log.info("downloading %s (GDC file %s) from %s", entry.filename, entry.id, cfg["base_url"])
gdc.download(
    entry.id,
    snakemake.output[0],
    md5=entry.md5,
    size=entry.size,
    base_url=cfg["base_url"],
    retries=cfg["retries"],
    timeout=cfg["timeout"],
    backoff=cfg["backoff"],
)
