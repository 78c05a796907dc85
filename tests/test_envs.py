"""The conda envs and the venv lock can never drift apart."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import ROOT


def _lock(name="requirements.lock"):
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


# What the rules' DL_ENV (workflow/rules/common.smk) stands for: the CPU env, or with
# resources.gpu the GPU env.
DL_ENV = ("dl.yaml", "dl-gpu.yaml")


ENVS = sorted((ROOT / "envs").glob("*.yaml"))
LIBRARY = "--editable .."  # conda runs pip in the env file's folder: this checkout's library


def _pip_section(env):
    return next(d["pip"] for d in yaml.safe_load(env.read_text())["dependencies"] if isinstance(d, dict))


def test_every_family_has_an_env():
    assert {p.stem for p in ENVS} == {"data", "dl", "dl-gpu", "report"}


def test_the_gpu_env_is_the_dl_env_with_tensorflows_cuda_build():
    cpu = {_norm(e.split("==")[0]): e for e in _pip_section(ROOT / "envs" / "dl.yaml")}
    gpu = {_norm(e.split("==")[0]): e for e in _pip_section(ROOT / "envs" / "dl-gpu.yaml")}
    assert set(cpu) - set(gpu) == {"tensorflow-cpu"}
    assert set(gpu) - set(cpu) == set(_lock("requirements-gpu.lock"))
    assert all(gpu[k] == cpu[k] for k in set(cpu) & set(gpu))


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_pins_agree_with_lock(env):
    lock = _lock() | (_lock("requirements-gpu.lock") if env.name == "dl-gpu.yaml" else {})
    spec = yaml.safe_load(env.read_text())
    deps = spec["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip, f"{env.name} pins nothing"
    assert pip[-1] == LIBRARY, f"{env.name}: the last pip entry must install the workflow's library ({LIBRARY})"
    pinned = {_norm(e.split("==")[0]) for e in pip[:-1]}
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    # so that installing the library adds nothing unpinned to the env
    assert {_norm(c) for c in core} <= pinned, f"{env.name} does not pin every core dependency of tcgatl"
    for entry in pip[:-1]:
        name, _, version = entry.partition("==")
        assert version, f"{env.name}: {entry} is not pinned exactly"
        key = _norm(name)
        assert key in lock, f"{env.name}: {name} is not in requirements.lock"
        assert lock[key] == version, f"{env.name}: {name}=={version} but requirements.lock has {lock[key]}"


def test_lock_covers_requirements_in():
    lock = _lock()
    for line in (ROOT / "requirements.in").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert lock[_norm(name)] == version, line


def test_every_rule_uses_an_env_that_exists():
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        for ref in re.findall(r'conda:\s*\n\s*"([^"]+)"', smk.read_text()):
            assert (smk.parent / ref).resolve().exists(), f"{smk.name}: {ref}"
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert re.search(r'DL_ENV = "\.\./\.\./envs/dl-gpu\.yaml" if GPU else "\.\./\.\./envs/dl\.yaml"', common)


def _imports(path, only_function=None):
    """Top-level third-party modules a Python file imports, and the tcgatl modules it imports
    (anywhere in the file: an import inside a function must be satisfied when it runs). With
    ``only_function``, the imports of that function and of the module's top level only (a
    steps module holds one function per rule, each importing what its rule needs)."""
    import ast

    pkg = list(path.relative_to(ROOT / "src").parent.parts) if (ROOT / "src") in path.parents else ["tcgatl"]
    tree = ast.parse(path.read_text())
    if only_function:
        keep = [n for n in tree.body if not isinstance(n, ast.FunctionDef) or n.name == only_function]
        assert any(isinstance(n, ast.FunctionDef) for n in keep), f"{path}: no function {only_function}"
        tree = ast.Module(body=keep, type_ignores=[])
    ext, local = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative import: resolve against the file's package
                mod = ".".join(pkg[: len(pkg) - node.level + 1] + ([mod] if mod else []))
            names = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for n in names:
            if n.split(".")[0] == "tcgatl":
                local.add(n)
            else:
                ext.add(n.split(".")[0])
    return ext, local


def _module_file(name):
    base = ROOT / "src" / Path(*name.split("."))
    return next((c for c in (base.with_suffix(".py"), base / "__init__.py") if c.exists()), None)


def _distributions(script):
    """Distributions a workflow script needs, following its tcgatl imports."""
    import importlib.metadata as md
    import sys

    owners = md.packages_distributions()
    todo, seen, mods = [(script, None)], set(), set()
    step = re.search(r'run_step\(snakemake, "([\w.]+)", "(\w+)"\)', script.read_text())
    if step:  # the script's one library call: that step function and what it imports
        todo.append((_module_file(step.group(1)), step.group(2)))
    while todo:
        f, function = todo.pop()
        if (f, function) not in seen:
            seen.add((f, function))
            ext, local = _imports(f, function)
            mods |= ext
            todo += [(m, None) for n in local if (m := _module_file(n)) is not None]
    mods -= set(sys.stdlib_module_names) | {"snakemake", "__future__"}
    return {_norm(d) for m in mods for d in owners.get(m, [m])}


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_rule_env_has_what_its_script_imports():
    envs = {}
    for env in ENVS:
        envs[env.name] = {_norm(e.split("==")[0]) for e in _pip_section(env)[:-1]}
        if {"tensorflow-cpu", "tensorflow"} & envs[env.name]:
            # Both wheels, CPU and CUDA, provide the tensorflow module.
            envs[env.name] |= {"tensorflow", "tensorflow-cpu"}
    pairs = []
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        # Directives in any order; rules defined in loops (indented) too.
        for rule in re.split(r"^\s*rule\b", smk.read_text(), flags=re.M)[1:]:
            env = re.search(r'conda:\s*\n\s*(?:"\.\./\.\./envs/([^"]+)"|(DL_ENV))', rule)
            script = re.search(r'script:\s*\n\s*"\.\./([^"]+)"', rule)
            if script:
                assert env, f"{smk.name}: a rule with {script.group(1)} has no conda env"
                for name in DL_ENV if env.group(2) else (env.group(1),):
                    pairs.append((name, script.group(1)))
    assert len(pairs) >= 15  # every rule with a script
    for env, script in pairs:
        # The other Keras backends are imported only when KERAS_BACKEND selects them (installed
        # with `make install BACKEND=...`); the envs run TensorFlow.
        missing = _distributions(ROOT / "workflow" / script) - envs[env] - {"jax", "torch"}
        assert not missing, f"workflow/{script} imports {sorted(missing)}, which envs/{env} lacks"


@pytest.mark.e2e
def test_an_env_installs_the_library_as_conda_would(tmp_path):
    """Conda has no channel here, so its pip step is replayed: the env's pip section written to
    a requirements file in envs/ and installed from there into a fresh environment; a script
    outside the checkout then imports the library, C parser included."""
    env = ROOT / "envs" / "data.yaml"
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    requirements = ROOT / "envs" / f".test-{tmp_path.name}.requirements.txt"
    requirements.write_text("\n".join(_pip_section(env)) + "\n")
    try:
        r = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", requirements.name],
            cwd=requirements.parent,
            capture_output=True,
            text=True,
        )
    finally:
        requirements.unlink()
    assert r.returncode == 0, r.stderr[-3000:]
    probe = "from tcgatl.inputs import matrix, qc; print(matrix.__file__, matrix._tsvparse is not None)"
    r = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    where, compiled = r.stdout.split()
    assert Path(where).resolve().is_relative_to(ROOT / "src") and compiled == "True"
