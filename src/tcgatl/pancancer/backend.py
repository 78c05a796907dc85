"""The Keras backend a pan-cancer job runs on (TensorFlow, JAX or PyTorch), and its device.

Keras 3 runs the same models, training and checkpoints on each backend (``KERAS_BACKEND``).
What Keras leaves to the framework lives here, one function per concern, with one branch per
backend: deterministic ops, the input gradient Integrated Gradients needs, GPU memory, threads,
and a description of the device a model was trained or explained on.

The environment the frameworks read when they load (threads, GPU memory) is set before Keras
is imported, by ``tcgatl.logs.prepare_environment``.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np

from ..jobs.gpus import nvidia_smi

# Keras backends the pan-cancer stage runs on (KERAS_BACKEND); the first is Keras's default.
BACKENDS = ("tensorflow", "jax", "torch")
# The distribution of each backend's framework (tensorflow-cpu on the CPU install).
FRAMEWORKS = {"tensorflow": ("tensorflow", "tensorflow-cpu"), "jax": ("jax", "jaxlib"), "torch": ("torch",)}


def name() -> str:
    """The backend Keras runs on: tensorflow, jax or torch."""
    import keras

    return keras.backend.backend()


def make_deterministic() -> None:
    """Same seed, same numbers: deterministic ops where the backend has a switch. XLA on CPU
    (JAX) is deterministic as it is."""
    b = name()
    if b == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif b == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)


def allow_nondeterminism() -> None:
    """Undo :func:`make_deterministic` (inference jobs run without it); TensorFlow's switch back
    is internal, so a TensorFlow without it keeps determinism on."""
    b = name()
    if b == "tensorflow":
        try:
            from tensorflow.python.framework import config as tf_config

            tf_config.disable_op_determinism()
        except (ImportError, AttributeError):  # pragma: no cover - older/newer TensorFlow
            pass
    elif b == "torch":
        import torch

        torch.use_deterministic_algorithms(False)


def threads() -> int:
    """CPU threads the backend's ops run on: the job's setting (tcgatl.logs.prepare_environment),
    else every core this process may use (the frameworks' default)."""
    b = name()
    if b == "tensorflow":
        import tensorflow as tf

        n = tf.config.threading.get_intra_op_parallelism_threads() or int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0))
    elif b == "torch":
        import torch

        n = torch.get_num_threads()
    else:  # XLA's CPU client: one thread only when Eigen's pool is off
        n = int("intra_op_parallelism_threads=1" in os.environ.get("XLA_FLAGS", ""))
    return n or len(os.sched_getaffinity(0))


def synchronize(model) -> None:
    """Wait until the model's pending computations are done. JAX and GPUs run asynchronously: a
    training step returns before it has computed, so a clock read at an epoch's end would stop
    before the epoch's work. Reading a variable the last step updated waits for that step (and
    so for every step before it); the smallest one costs least to copy."""
    import keras

    weights = model.trainable_variables or model.variables
    if weights:
        keras.ops.convert_to_numpy(min(weights, key=lambda v: int(np.prod(v.shape))))


def gradient_fn(model):
    """``grads(images, targets) -> (d out[target] / d images, out[target])`` as NumPy arrays:
    the gradient of each image's target-class output with respect to its pixels, compiled
    once per model (tracing a backbone takes seconds). Keras has no backend-neutral input
    gradient, so this is the one function written per backend."""
    b = name()
    if b == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def tf_grads(images, targets):
            with tf.GradientTape() as tape:
                tape.watch(images)
                out = model(images, training=False)
                picked = tf.gather(out, targets, axis=1, batch_dims=1)
            return tape.gradient(picked, images), picked

        def grads(images, targets):
            g, out = tf_grads(tf.convert_to_tensor(images), tf.convert_to_tensor(targets))
            return g.numpy(), out.numpy()

        return grads
    if b == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def picked_sum(images, targets):
            out, _ = model.stateless_call(trainable, frozen, images, training=False)
            picked = jnp.take_along_axis(out, targets[:, None], axis=1)[:, 0]
            # Each image's output depends on that image only: the gradient of the sum is every
            # image's own gradient.
            return picked.sum(), picked

        jax_grads = jax.jit(jax.grad(picked_sum, has_aux=True))

        def grads(images, targets):
            g, out = jax_grads(jnp.asarray(images), jnp.asarray(np.asarray(targets, np.int32)))
            return np.asarray(g), np.asarray(out)

        return grads
    if b == "torch":
        import torch
        from keras.src.backend.torch.core import get_device

        def grads(images, targets):
            x = torch.as_tensor(np.asarray(images), device=get_device()).requires_grad_(True)
            t = torch.as_tensor(np.asarray(targets, np.int64), device=get_device())
            out = model(x, training=False)
            picked = out.gather(1, t[:, None])[:, 0]
            (g,) = torch.autograd.grad(picked.sum(), x)
            return g.detach().cpu().numpy(), picked.detach().float().cpu().numpy()

        return grads
    raise RuntimeError(f"no input gradient for Keras backend {b!r}; expected one of {', '.join(BACKENDS)}")


def gpus() -> list[dict]:
    """The GPUs the backend sees: name and compute capability (major, minor) where it says."""
    b = name()
    found = []
    if b == "tensorflow":
        import tensorflow as tf

        for d in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(d)
            found.append({"name": details.get("device_name", d.name), "capability": details.get("compute_capability")})
    elif b == "jax":
        import jax

        for d in jax.devices():
            if d.platform == "gpu":
                cc = getattr(d, "compute_capability", None)
                found.append(
                    {"name": d.device_kind, "capability": tuple(int(p) for p in cc.split(".")) if cc else None}
                )
    elif b == "torch":
        import torch

        for i in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
            found.append({"name": torch.cuda.get_device_name(i), "capability": torch.cuda.get_device_capability(i)})
    return found


def gpu_has_bf16() -> bool | None:
    """Whether the GPU in use computes bfloat16 natively (compute capability 8.0 or later:
    Ampere, Hopper); None without a GPU."""
    found = gpus()
    if not found:
        return None
    cc = found[0]["capability"]
    return bool(cc and tuple(cc) >= (8, 0))


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name (Linux /proc/cpuinfo, else what the platform module says)."""
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _nvidia_driver() -> str | None:
    out = nvidia_smi("--query-gpu=driver_version", "--format=csv,noheader")
    return out.split("\n")[0].strip() or None if out else None


def _cuda_version() -> str | None:
    b = name()
    if b == "tensorflow":
        import tensorflow as tf

        return tf.sysconfig.get_build_info().get("cuda_version")
    if b == "torch":
        import torch

        return torch.version.cuda
    return None  # jaxlib does not say which CUDA it was built with


def describe(precision: str) -> dict:
    """Where a model ran, for its checkpoint and the report: backend and framework versions,
    CPU model and threads, GPU name, capability and driver, CUDA, and the precision policy."""
    import importlib.metadata as md

    import keras

    b = name()
    framework = None
    for dist in FRAMEWORKS[b]:
        try:
            framework = f"{dist} {md.version(dist)}"
            break
        except md.PackageNotFoundError:
            continue
    found = gpus()
    return {
        "backend": b,
        "keras": keras.__version__,
        "framework": framework,
        "device": "gpu" if found else "cpu",
        "cpu": cpu_model(),
        "cpu_threads": threads(),
        "gpu": "; ".join(g["name"] for g in found) or None,
        "gpu_capability": ".".join(map(str, found[0]["capability"])) if found and found[0]["capability"] else None,
        "driver": _nvidia_driver() if found else None,
        "cuda": _cuda_version() if found else None,
        "precision": precision,
    }


def summary(device: dict) -> str:
    """One line for a job's log: Keras, backend and framework, and the GPU or CPU it runs on."""
    where = device["gpu"] or f"CPU {device['cpu']}, {device['cpu_threads']} thread(s)"
    return f"Keras {device['keras']} on {device['backend']} ({device['framework']}), {where}"
