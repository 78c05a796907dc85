"""Logging for workflow scripts: everything (stderr included) goes to the rule's log file."""

from __future__ import annotations

import contextlib
import importlib.abc
import logging
import os
import re
import sys
import tempfile


def setup(log_path: str | None, level=logging.INFO) -> logging.Logger:
    """Send logging and stderr (tracebacks, progress bars) to ``log_path``."""
    terminal = sys.__stderr__
    if log_path:
        stream = open(log_path, "w", buffering=1)
        # C-level writes to fd 2 (TensorFlow, oneDNN) go to the log too; the terminal keeps a
        # duplicate of the original stderr for the one-line error below.
        try:
            terminal = os.fdopen(os.dup(2), "w", buffering=1)
            os.dup2(stream.fileno(), 2)
        except OSError:  # no fd 2 (embedded interpreters)
            pass
        sys.stderr = stream
    else:
        stream = sys.stderr
    logging.basicConfig(
        level=level, stream=stream, force=True, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.captureWarnings(True)

    def excepthook(kind, value, tb):
        # Full traceback in the rule's log; the one-line reason where the user is looking.
        sys.__excepthook__(kind, value, tb)
        if log_path:
            print(f"{kind.__name__}: {value}  (full traceback: {log_path})", file=terminal)

    sys.excepthook = excepthook
    _terminal[:] = [terminal, log_path]
    return logging.getLogger("tcgatl")


_terminal: list = []


def prepare_environment(threads: int) -> None:
    """Environment for a job of ``threads`` threads, before any framework loads (Keras's
    backends: tcgatl.pancancer.backend). Existing values win, so a user's own settings stay.

    - GPU memory grows as needed (TensorFlow and JAX otherwise take most of a card's memory at
      start-up, and a second job on the same card fails);
    - TensorFlow's thread pools and OpenMP (PyTorch's CPU threads) get ``threads``; XLA's CPU
      client (JAX) has no thread-count setting, only single-threaded Eigen, used for 1 thread;
    - cuBLAS gets the fixed workspace PyTorch needs for deterministic GPU matrix products;
    - TensorFlow's start-up notices stay out of the logs (:func:`quiet_framework_imports`, which
      the command-line tools call too). ``TF_CPP_MIN_LOG_LEVEL=0`` in the environment brings them
      back.
    """
    n = str(max(1, int(threads)))
    for var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, n)
    quiet_framework_imports()
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    if n == "1" and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def run_step(job, module: str, step: str) -> None:
    """What every rule's script does: the rule's log first (stderr too, so that TensorFlow's
    messages at import land there), then the library function ``module.step(job)``, where
    ``job`` is the script's ``snakemake`` object. The step's module is imported only now."""
    import importlib

    # TensorFlow (and BLAS) otherwise use every core, whatever the rule's ``threads:``: jobs
    # Snakemake runs side by side would oversubscribe the machine or a SLURM allocation; and a
    # GPU's memory is taken as needed, so that jobs can share a card.
    prepare_environment(int(getattr(job, "threads", 1) or 1))
    setup(job.log[0])
    if getattr(job, "rule", None):
        from .jobs.record import record

        record(job)
    getattr(importlib.import_module(module), step)(job)


def warn_user(message: str) -> None:
    """A warning the user should see: in the log and on the terminal Snakemake runs in."""
    logging.getLogger("tcgatl").warning(message)
    if _terminal and _terminal[1]:
        print(f"WARNING: {message}  (log: {_terminal[1]})", file=_terminal[0])


# A line of Abseil's log format, as TensorFlow's C++ code writes it: severity, date, time
# (before initialisation 00:00 and the seconds since 1970), thread, file:line]. Until Abseil is
# initialised, which TensorFlow (2.21 here) does only once loaded, it writes every record to
# stderr whatever TF_CPP_MIN_LOG_LEVEL says: the oneDNN and CUDA notices of every import.
_ABSL_LINE = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ ([^ \]]+?):\d+\] ")
_ABSL_PREAMBLE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_SEVERITY = {b"I": 0, b"W": 1, b"E": 2, b"F": 3}
# A record's message may hold line breaks; Abseil gives the lines after the first no prefix, and
# the held text has no write boundaries to tell where a record ends, so a line after a record
# could as well be the job's own. The continuation lines TensorFlow writes are therefore known
# by source file and text, and dropped only right after their record: 2.21's CPU notice says
# "This TensorFlow binary is optimized ..." and, on the next line, "To enable the following
# instructions: AVX2 ... rebuild TensorFlow with the appropriate compiler flags."
_CONTINUATIONS = {b"cpu_feature_guard.cc": re.compile(rb"^To enable ")}


def drop_framework_notices(text: bytes, min_level: int) -> bytes:
    """``text`` without the Abseil records below ``min_level`` (TF_CPP_MIN_LOG_LEVEL's scale:
    0 INFO, 1 WARNING, 2 ERROR, 3 FATAL only) and, from 1, Abseil's warning that they were
    written before it was initialised. A dropped record's continuation lines (:data:`_CONTINUATIONS`)
    go with it; every other line is kept."""
    kept = []
    continuation = None  # what the next line matches if it continues the record just dropped
    for line in text.splitlines(keepends=True):
        if continuation is not None and continuation.match(line):
            continue
        continuation = None
        record = _ABSL_LINE.match(line)
        if record and _SEVERITY[record.group(1)] < min_level:
            continuation = _CONTINUATIONS.get(record.group(2))
            continue
        if min_level >= 1 and line.rstrip() == _ABSL_PREAMBLE:
            continue
        kept.append(line)
    return b"".join(kept)


def _min_log_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


@contextlib.contextmanager
def _filtered_stderr():
    """What is written to fd 2 meanwhile (by C code too) is held, then written on without the
    framework notices below TF_CPP_MIN_LOG_LEVEL; all of it when the block fails."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (embedded interpreters): nothing to filter
        yield
        return
    failed = False
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read()
            text = memoryview(text if failed else drop_framework_notices(text, _min_log_level()))
            while text:  # os.write may write only part of a long text
                text = text[os.write(2, text) :]


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as the other finders do, and loads it inside :func:`_filtered_stderr`."""

    NAMES = ("tensorflow",)

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.NAMES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def quiet_exec_module(module):
            with _filtered_stderr():
                exec_module(module)

        # On this one loader object (one per module found), not its class: nothing else changes.
        loader.exec_module = quiet_exec_module
        return spec


def quiet_framework_imports() -> None:
    """TensorFlow's start-up notices stay out of a rule's log and a command's terminal, which open
    with what the job does; every rule (:func:`prepare_environment`) and command-line tool calls
    this before TensorFlow is imported.

    - ``TF_CPP_MIN_LOG_LEVEL`` 2 (errors only) for what TensorFlow logs once loaded (the CPU
      notice of its first operation, a model's load), unless the environment sets it (JAX's
      import, which Keras may do, would otherwise set 1: WARNINGs kept);
    - what it writes to stderr while it loads, before it reads that setting (oneDNN, CUDA
      drivers, Abseil's preamble), is held back by the same threshold. Everything else written
      meanwhile, and all of it if the import fails, still comes through.

    ``TF_CPP_MIN_LOG_LEVEL=0`` keeps every line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietImport) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietImport())
