"""Script logging: everything goes to the rule's log; the terminal gets one line on failure."""

import subprocess
import sys

import pytest

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


STEP = """
import sys, time, types
from tcgatl.logs import run_step

def busy(job):
    import tensorflow as tf  # loaded after run_step set the cap, as in every TensorFlow rule

    a = tf.random.normal((1500, 1500))
    tf.matmul(a, a).numpy()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(20):
        b = tf.matmul(a, a)
    b.numpy()
    print((time.process_time() - cpu) / (time.perf_counter() - wall), file=open({out!r}, "w"))

sys.modules["fake_steps"] = types.SimpleNamespace(busy=busy)
run_step(types.SimpleNamespace(log=[{log!r}], threads=1), "fake_steps", "busy")
"""


@pytest.mark.slow
def test_a_rule_s_threads_cap_tensorflow(tmp_path):
    """TensorFlow uses every core whatever the rule's ``threads:`` unless told: jobs that
    Snakemake runs side by side (the demo's one-thread TensorFlow jobs on 2 cores) would
    oversubscribe. A one-thread job's matrix products keep one core busy, not two."""
    import os

    assert len(os.sched_getaffinity(0)) >= 2  # else the cap could not be seen
    out, log = tmp_path / "cpu_per_wall.txt", tmp_path / "rule.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_NUM_", "OMP_NUM"))}
    r = subprocess.run([sys.executable, "-c", STEP.format(out=str(out), log=str(log))], env=env, capture_output=True)
    assert r.returncode == 0, log.read_text()
    assert float(out.read_text()) < 1.3
