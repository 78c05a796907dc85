# Two set-up commands on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
# GPU=1: TensorFlow's CUDA build (and JAX's CUDA plugin with BACKEND=jax), in a venv of its own.
# BACKEND=jax or torch adds that Keras backend (select it at run time with KERAS_BACKEND).
GPU     ?= 0
BACKEND ?= tensorflow
VENV   ?= $(if $(filter 1,$(GPU)),.venv-gpu,.venv)
CORES  ?= all
BIN     = $(VENV)/bin
SNAKEMAKE = $(BIN)/snakemake

.PHONY: run test test-fast install install-test lint dry-run lock bench clean

# Creates the venv and installs the exact pins, then the workflow's library (editable, so
# the rules and the tests import the same code).
# The locks of the GPU and backend variants on top of requirements.lock (the CPU install has none).
EXTRA_LOCKS = $(if $(filter 1,$(GPU)),requirements-gpu.lock) \
	$(if $(filter jax,$(BACKEND)),requirements-jax.lock $(if $(filter 1,$(GPU)),requirements-jax-gpu.lock)) \
	$(if $(filter torch,$(BACKEND)),requirements-torch.lock)

$(VENV)/.installed: requirements.lock pyproject.toml setup.py src/tcgatl/inputs/_tsvparse.c $(EXTRA_LOCKS)
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version.split()[0]'
	@case "$(BACKEND)" in tensorflow|jax|torch) ;; *) echo "BACKEND must be tensorflow, jax or torch, not $(BACKEND)"; exit 2;; esac
	$(PYTHON) -m venv $(VENV)
	@# The GPU install takes TensorFlow's CUDA build (requirements-gpu.lock) instead of tensorflow-cpu.
	$(if $(filter 1,$(GPU)),sed '/^tensorflow[-_]cpu==/d' requirements.lock > $(VENV)/requirements.lock,cp requirements.lock $(VENV)/requirements.lock)
	$(BIN)/python -m pip install --quiet -r $(VENV)/requirements.lock $(addprefix -r ,$(EXTRA_LOCKS))
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(BIN)/python -m pip install --quiet -r requirements-test.lock
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Run the whole workflow on the embedded demo data.
run: install
	$(SNAKEMAKE) --profile workflow/profiles/workstation --cores $(CORES) --configfile config/demo.yaml

## Install the test tools and run the whole test suite.
test: install-test
	$(BIN)/python -m pytest

## The quick loop while changing the library (under 3 minutes on 2 cores): the unit tests, without
## the end-to-end Snakemake runs and multi-seed MOTLAB tests (e2e) and those over ~10 s (slow).
test-fast: install-test
	$(BIN)/python -m pytest -m "not e2e and not slow"

lint: install
	$(SNAKEMAKE) --lint --configfile config/demo.yaml
	$(SNAKEMAKE) --lint

dry-run: install
	$(SNAKEMAKE) -n --configfile config/demo.yaml

bench: install
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

## Re-resolve requirements.in into requirements.lock in a scratch venv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Exact pins for the workflow venv, resolved from requirements.in. Regenerate with \`make lock\`."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf results .snakemake
