#!/usr/bin/env bash
# The GPU benchmark: per backbone at 224 px, frozen-pass and fine-tuning images/s and IG gradient
# evaluations/s, float32 and mixed_bfloat16, on every Keras backend installed in the venv
# (TensorFlow; JAX and PyTorch with `make install BACKEND=jax|torch`), beside the shipped CPU
# figures. Under 8 minutes for one backend on one GPU; choose them with BACKENDS.
#
#   bench/bench_gpu.sh                        # every installed backend, all four backbones
#   BACKENDS=jax bench/bench_gpu.sh --backbones ResNet50
#   bench/bench_gpu.sh --size 32 --grid 8 --batches 1   # a quick check on CPU
#
# Arguments go to bench/bench_backends.py. Writes bench_gpu_<backend>.json in $OUT (default .).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
out="${OUT:-.}"
ran=0
for backend in ${BACKENDS:-tensorflow jax torch}; do
    if ! "$python" -c "import $backend" 2>/dev/null; then
        echo "== $backend: not installed, skipped"
        continue
    fi
    echo "== $backend"
    KERAS_BACKEND="$backend" "$python" "$here/bench_backends.py" --json "$out/bench_gpu_$backend.json" "$@"
    ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "no Keras backend installed" >&2; exit 1; }
