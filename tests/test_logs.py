"""Script logging: everything goes to the rule's log; the terminal gets one line on failure."""

import subprocess
import sys

SCRIPT = """
import os
from tcgatl.logs import setup
log = setup({log!r})
log.info("step one")
os.write(2, b"C-level library message\\n")  # e.g. TensorFlow at import
raise ValueError("bad table: column 'type' missing")
"""


def test_failure_goes_to_the_log_and_one_line_to_the_terminal(tmp_path):
    log = tmp_path / "rule.log"
    r = subprocess.run([sys.executable, "-c", SCRIPT.format(log=str(log))], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip() == f"ValueError: bad table: column 'type' missing  (full traceback: {log})"
    text = log.read_text()
    assert "step one" in text and "C-level library message" in text and "Traceback" in text
