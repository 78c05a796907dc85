"""The conda envs and the venv lock can never drift apart."""
import re

import pytest
import yaml

from conftest import ROOT


def _lock():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


ENVS = sorted((ROOT / "envs").glob("*.yaml"))


def test_every_family_has_an_env():
    assert {p.stem for p in ENVS} == {"data", "dl", "report"}


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_pins_agree_with_lock(env):
    lock = _lock()
    spec = yaml.safe_load(env.read_text())
    deps = spec["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip, f"{env.name} pins nothing"
    for entry in pip:
        name, _, version = entry.partition("==")
        assert version, f"{env.name}: {entry} is not pinned exactly"
        key = re.sub(r"[-_.]+", "-", name).lower()
        assert key in lock, f"{env.name}: {name} is not in requirements.lock"
        assert lock[key] == version, f"{env.name}: {name}=={version} but requirements.lock has {lock[key]}"


def test_lock_covers_requirements_in():
    lock = _lock()
    for line in (ROOT / "requirements.in").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert lock[re.sub(r"[-_.]+", "-", name).lower()] == version, line


def test_every_rule_uses_an_env_that_exists():
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        for ref in re.findall(r'conda:\s*\n\s*"([^"]+)"', smk.read_text()):
            assert (smk.parent / ref).resolve().exists(), f"{smk.name}: {ref}"
