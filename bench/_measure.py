"""Run a snippet in a fresh interpreter; report wall time and peak RSS above the post-import baseline."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

CHILD = r"""
import json, resource, sys, time
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
{setup}
base = rss_kb()
t0 = time.perf_counter()
{work}
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": elapsed, "peak_mb": (peak - base) / 1024}}))
"""


def measure(setup: str, work: str) -> dict:
    code = CHILD.format(setup=textwrap.dedent(setup), work=textwrap.dedent(work))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
