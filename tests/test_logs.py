"""Script logging: everything goes to the rule's log; the terminal gets one line on failure."""

import os
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


NOTICES = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    b"I0000 00:00:1796396671.383168   25558 port.cc:153] oneDNN custom operations are on.\n"
    b"W0000 00:00:1796396671.383168   25558 cuda_executor.cc:1] could not find cuda drivers on your machine\n"
    b"E0000 00:00:1796396671.383168   25558 cuda_blas.cc:2] Unable to register cuBLAS factory\n"
    b"a line of the job's own\n"
)


@pytest.mark.parametrize(
    "level, kept",
    [
        (0, NOTICES),
        (
            2,
            b"E0000 00:00:1796396671.383168   25558 cuda_blas.cc:2] Unable to register cuBLAS factory\n"
            b"a line of the job's own\n",
        ),
        (3, b"a line of the job's own\n"),
    ],
)
def test_framework_notices_are_dropped_below_tensorflow_s_own_threshold(level, kept):
    from tcgatl.logs import drop_framework_notices

    assert drop_framework_notices(NOTICES, level) == kept


CPU_NOTICE = (
    b"I0000 00:00:1796399863.560095   27379 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    b"available CPU instructions in performance-critical operations.\n"
    b"To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other operations, rebuild "
    b"TensorFlow with the appropriate compiler flags.\n"
)


@pytest.mark.parametrize("level, dropped", [(0, False), (1, True), (2, True)])
def test_a_dropped_notice_takes_its_second_line_with_it(level, dropped):
    """TensorFlow's CPU notice is one record over two lines (the second without Abseil's prefix)."""
    from tcgatl.logs import drop_framework_notices

    text = b"a line of the job's own\n" + CPU_NOTICE + b"another line of the job's own\n"
    kept = b"a line of the job's own\nanother line of the job's own\n"
    assert drop_framework_notices(text, level) == (kept if dropped else text)


@pytest.mark.parametrize(
    "after",
    [
        b"To enable the following instructions: AVX2\n",  # text alike, but after another file's record
        b"a line of the job's own\n",
    ],
)
def test_a_line_after_another_dropped_notice_is_kept(after):
    from tcgatl.logs import drop_framework_notices

    record = b"I0000 00:00:1796396671.383168   25558 port.cc:153] oneDNN custom operations are on.\n"
    assert drop_framework_notices(record + after, 2) == after
    # and a continuation only right after its record: one line of the job's own in between ends it
    line = b"a line of the job's own\n"
    assert drop_framework_notices(CPU_NOTICE[: CPU_NOTICE.index(b"\n") + 1] + line + after, 2) == line + after


NOISY_IMPORT = """
import os, sys
sys.path.insert(0, {pkg!r})
from tcgatl import logs
logs._QuietImport.NAMES = ("noisy",)
logs.prepare_environment(1)
logs.setup({log!r})
import noisy
print("imported", file=sys.stderr)
"""


@pytest.mark.parametrize("level", ["2", "0"])
def test_notices_written_while_a_framework_loads_stay_out_of_the_log(tmp_path, level):
    """A package that writes TensorFlow-like notices to fd 2 at import (as TensorFlow's C++
    code does before it reads TF_CPP_MIN_LOG_LEVEL): only its other lines reach the log, unless
    the user asked for everything with TF_CPP_MIN_LOG_LEVEL=0."""
    (tmp_path / "noisy").mkdir()
    (tmp_path / "noisy" / "__init__.py").write_text(f"import os\nos.write(2, {NOTICES!r})\n")
    log = tmp_path / "rule.log"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=level)
    code = NOISY_IMPORT.format(pkg=str(tmp_path), log=str(log))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env)
    assert r.returncode == 0, log.read_text()
    text = log.read_text()
    assert "a line of the job's own" in text and "imported" in text
    assert ("oneDNN" in text) == (level == "0")
    assert ("absl::InitializeLog" in text) == (level == "0")
    assert "Unable to register cuBLAS factory" in text  # an error: kept at the default level 2


def test_everything_comes_through_when_the_import_fails(tmp_path):
    (tmp_path / "noisy").mkdir()
    (tmp_path / "noisy" / "__init__.py").write_text(f"import os\nos.write(2, {NOTICES!r})\nraise ImportError('no')\n")
    log = tmp_path / "rule.log"
    code = NOISY_IMPORT.format(pkg=str(tmp_path), log=str(log))
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    )
    assert r.returncode == 1
    text = log.read_text()
    assert "oneDNN custom operations" in text and "ImportError: no" in text


@pytest.mark.slow
def test_tensorflow_start_up_leaves_no_notices_in_a_rule_s_log(tmp_path):
    """The real thing: TensorFlow imported after the library's setup, as every TensorFlow rule
    does, writes no Abseil line into the rule's log."""
    log = tmp_path / "rule.log"
    code = (
        "import logging\nfrom tcgatl import logs\nlogs.prepare_environment(1)\n"
        f"logs.setup({str(log)!r})\nimport keras, tensorflow\nlogging.getLogger('tcgatl').info('loaded')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env)
    assert r.returncode == 0, log.read_text()
    lines = log.read_text().splitlines()
    assert lines and lines[-1].endswith("INFO tcgatl: loaded"), lines
    assert len(lines) == 1, lines
