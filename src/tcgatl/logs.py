"""Logging for workflow scripts: everything (stderr included) goes to the rule's log file."""

from __future__ import annotations

import logging
import os
import sys


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
    - cuBLAS gets the fixed workspace PyTorch needs for deterministic GPU matrix products.
    """
    n = str(max(1, int(threads)))
    for var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, n)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
