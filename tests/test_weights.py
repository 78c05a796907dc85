"""ImageNet weights as an input: Keras's hashes, the verified download against a loopback
server, and the offline switch's message listing every missing file."""

import dataclasses
import hashlib
import inspect
import os

import pytest
from gdc_server import FakeGDC

from tcgatl.inputs import gdc, weights
from tcgatl.pancancer.options import BACKBONES

BODY = os.urandom(2 * 1024 * 1024 + 77)


@pytest.fixture
def resnet(monkeypatch):
    """ResNet50's entry with the md5 of BODY, and the path the host serves it at."""
    b = BACKBONES["ResNet50"]
    monkeypatch.setitem(BACKBONES, "ResNet50", dataclasses.replace(b, weights_md5=hashlib.md5(BODY).hexdigest()))
    return f"/{b.weights_folder}/{b.weights_file}"


def _fetch(server, tmp_path):
    return gdc.fetch(
        dest=tmp_path / "w.h5", **weights.source("ResNet50", server.url), progress=False, backoff=0, retries=3
    )


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_each_md5_is_the_one_keras_applications_checks(name):
    import importlib

    b = BACKBONES[name]
    source = inspect.getsource(
        importlib.import_module(f"keras.src.applications.{b.module.replace('resnet50', 'resnet')}")
    )
    assert b.weights_md5 in source and b.weights_file.removesuffix(".h5").split("_")[0] in source
    assert (
        b.weights_url()
        == f"https://storage.googleapis.com/tensorflow/keras-applications/{b.weights_folder}/{b.weights_file}"
    )


def test_good_file_arrives_whole_and_alone(tmp_path, resnet):
    with FakeGDC({resnet: BODY}, faults={resnet: ["drop"]}) as s:
        out = _fetch(s, tmp_path)
        ranges = [r for _, r in s.requests]
    assert out.read_bytes() == BODY
    assert ranges[0] is None and ranges[1].startswith("bytes=")  # resumed, not restarted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.h5"]


@pytest.mark.parametrize(
    "faults, problem",
    [
        (["corrupt"] * 3, "md5 mismatch"),
        (["html"] * 3, "HTML page"),
        (["drop"] * 3, "connection ended after"),
    ],
    ids=["wrong-hash", "html-page", "truncated"],
)
def test_a_bad_download_fails_naming_the_file_and_leaves_no_weights(tmp_path, resnet, faults, problem):
    with FakeGDC({resnet: BODY}, faults={resnet: faults}) as s:
        with pytest.raises(gdc.DownloadError, match=rf"w\.h5 \(ResNet50 ImageNet weights\).*{problem}"):
            _fetch(s, tmp_path)
    assert not (tmp_path / "w.h5").exists()


def test_a_file_the_host_lacks_fails_at_once(tmp_path, resnet):
    with FakeGDC({}) as s:
        with pytest.raises(gdc.DownloadError, match="404"):
            _fetch(s, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_offline_message_lists_every_missing_file_with_folder_and_address(tmp_path):
    pc = {
        "backbones": ["Xception", "ResNet50", "VGG19"],
        "weights": "imagenet",
        "weights_dir": str(tmp_path),
        "weights_url": "https://mirror.example/keras",
    }
    (tmp_path / BACKBONES["ResNet50"].weights_file).write_bytes(b"placed by hand")
    assert weights.missing(pc) == ["Xception", "VGG19"]
    text = weights.missing_message(pc, "config/config.yaml")
    assert f"Place each file in {tmp_path}/" in text and "config/config.yaml" in text
    for b in ("Xception", "VGG19"):
        assert (
            f"{BACKBONES[b].weights_file}  ({b}): https://mirror.example/keras/{BACKBONES[b].weights_folder}/" in text
        )
    assert "ResNet50" not in text
    assert weights.missing_message(pc | {"weights": "none"}) is None


def test_weights_dir_null_is_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert weights.weights_path("VGG19", None) == tmp_path / "models" / BACKBONES["VGG19"].weights_file
