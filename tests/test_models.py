"""Backbone classifiers on native gene grids: in-model preprocessing, checkpoints, weights."""

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

from tcgatl.errors import InputError
from tcgatl.pancancer import models

X = np.random.default_rng(0).uniform(size=(3, 12, 12)).astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(models.BACKBONES))
def test_backbone_takes_gene_images_and_preprocesses_inside(name, tmp_path):
    b = models.BACKBONES[name]
    m = models.build(name, (12, 12), 4, size=72, weights="none")
    assert m.input_shape == (None, 12, 12)
    p = m.predict(X, verbose=0)
    assert p.shape == (3, 4) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    # resize + 3 channels + the backbone's own preprocess_input, inside the model
    pre = keras.Model(m.input, m.get_layer("to_backbone_input").output)(X)
    resized = keras.ops.convert_to_numpy(keras.layers.Resizing(72, 72)(X[..., None]))
    ref = getattr(keras.applications, b.module).preprocess_input(np.repeat(resized, 3, axis=-1) * 255.0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pre), ref, atol=1e-4)
    backbone = next(layer for layer in m.layers if isinstance(layer, keras.Model))
    backbone.get_layer(b.last_block)  # the block phase 2 unfreezes exists
    m.save(tmp_path / "model.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "model.keras").predict(X, verbose=0), p, atol=1e-6)


def test_image_size_the_backbone_cannot_take():
    with pytest.raises(InputError, match="Xception cannot take 64x64 images: it needs at least 71x71"):
        models.build("Xception", (12, 12), 4, size=64, weights="none")


def test_missing_imagenet_weights_say_which_file_and_where(tmp_path):
    with pytest.raises(models.WeightsError) as e:
        models.build("ResNet50", (12, 12), 4, size=32, weights="imagenet", weights_dir=str(tmp_path))
    msg = str(e.value)
    assert str(tmp_path / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5") in msg
    assert (
        "https://storage.googleapis.com/tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
        in msg
    )


def _legacy_h5(model, path):
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def test_imagenet_weights_load_from_a_local_folder(tmp_path):
    source = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    _legacy_h5(source, tmp_path / models.BACKBONES["ResNet50"].weights_file)
    m = models.build("ResNet50", (12, 12), 4, size=32, weights="imagenet", weights_dir=str(tmp_path))
    loaded = next(layer for layer in m.layers if isinstance(layer, keras.Model))
    for a, b in zip(source.weights, loaded.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_weights_of_another_architecture_are_refused(tmp_path):
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    _legacy_h5(vgg, tmp_path / models.BACKBONES["ResNet50"].weights_file)
    with pytest.raises(models.WeightsError, match="does not fit ResNet50"):
        models.build("ResNet50", (12, 12), 4, size=32, weights="imagenet", weights_dir=str(tmp_path))
    (tmp_path / models.BACKBONES["ResNet50"].weights_file).write_bytes(b"<html>not weights</html>")
    with pytest.raises(models.WeightsError, match="does not fit ResNet50"):
        models.build("ResNet50", (12, 12), 4, size=32, weights="imagenet", weights_dir=str(tmp_path))


def test_mixed_bfloat16_runs_the_backbone_in_bf16_and_keeps_input_head_and_output_float32(tmp_path):
    m = models.build("ResNet50", (12, 12), 4, size=32, weights="none", precision="mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"  # the global policy is restored
    backbone = next(layer for layer in m.layers if isinstance(layer, keras.Model))
    convs = [layer for layer in backbone.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs and all(c.compute_dtype == "bfloat16" and c.kernel.dtype == "float32" for c in convs)
    for name in ("to_backbone_input", "head_norm", "head_dropout", "head"):
        assert m.get_layer(name).compute_dtype == "float32", name
    p = m.predict(X, verbose=0)
    assert p.dtype == np.float32 and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    full = models.build("ResNet50", (12, 12), 4, size=32, weights="none", precision="float32")
    full.set_weights(m.get_weights())  # same weights, float32 compute: close but not equal
    q = full.predict(X, verbose=0)
    assert not np.array_equal(p, q) and np.abs(p - q).max() < 0.05
    m.save(tmp_path / "m.keras")  # a checkpoint keeps its policy
    again = next(
        layer for layer in keras.models.load_model(tmp_path / "m.keras").layers if isinstance(layer, keras.Model)
    )
    assert {layer.compute_dtype for layer in again.layers if isinstance(layer, keras.layers.Conv2D)} == {"bfloat16"}


def test_auto_precision_follows_the_cpu_flags(tmp_path):
    amx = tmp_path / "amx"
    amx.write_text("processor : 0\nflags : fpu sse avx512f amx_bf16 amx_tile\n")
    plain = tmp_path / "plain"
    plain.write_text("processor : 0\nflags : fpu sse avx2\n")
    assert models.resolve_precision("auto", cpuinfo=str(amx)) == "mixed_bfloat16"
    assert models.resolve_precision("auto", "ResNet50", str(amx)) == "mixed_bfloat16"
    assert models.resolve_precision("auto", cpuinfo=str(plain)) == "float32"
    assert models.resolve_precision("auto", cpuinfo=str(tmp_path / "absent")) == "float32"
    assert models.resolve_precision("float32", cpuinfo=str(amx)) == "float32"
    # VGG19 trained slower in bf16 than in float32: auto keeps it in float32, asked for it gets it.
    assert models.resolve_precision("auto", "VGG19", str(amx)) == "float32"
    assert models.resolve_precision("mixed_bfloat16", "VGG19", str(amx)) == "mixed_bfloat16"
    with pytest.raises(ValueError, match="unknown precision 'fp8'; expected one of auto, float32, mixed_bfloat16"):
        models.resolve_precision("fp8")


def test_float32_twin_has_the_weights_and_computes_in_float32():
    m = models.build("ResNet50", (12, 12), 4, size=32, weights="none", precision="mixed_bfloat16", seed=3)
    twin = models.float32_twin(m, "ResNet50", 32)
    backbone = next(layer for layer in twin.layers if isinstance(layer, keras.Model))
    assert {layer.compute_dtype for layer in backbone.layers if isinstance(layer, keras.layers.Conv2D)} == {"float32"}
    assert all(np.array_equal(a, b) for a, b in zip(m.get_weights(), twin.get_weights()))
    assert np.abs(twin.predict(X, verbose=0) - m.predict(X, verbose=0)).max() < 0.05
