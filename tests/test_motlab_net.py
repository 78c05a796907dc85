"""The MOTLAB network (tcgatl.motlab.net): its settings from the config, the compiled training
loop against Keras, frozen layers."""

from dataclasses import replace

import numpy as np
import pytest
from configured import hyper, section

from tcgatl.errors import ConfigError
from tcgatl.motlab import net


def test_hyper_is_read_from_the_config_section_with_its_networks_architecture():
    """The named network's architecture is resolved before the object is built; built directly,
    a Hyper keeps what it is given or refuses an architecture that contradicts its network."""
    hp = hyper(network="tl4hdr", hidden_units=7)
    assert hp.hidden_layers == (128, 64) and hp.l1 == hp.l2 == 0.001 and hp.nesterov and hp.hidden_units == 7
    plain = hyper()
    assert plain.sizes == (section("motlab")["hidden_units"],) and (plain.l1, plain.l2, plain.nesterov) == (0, 0, False)
    assert replace(hp, epochs=5).epochs == 5 and replace(hp, epochs=5).hidden_layers == (128, 64)
    with pytest.raises(ValueError, match="hidden_layers=None contradicts network 'tl4hdr', which sets"):
        replace(hp, hidden_layers=None)
    with pytest.raises(ValueError, match="nesterov=True contradicts network 'motlab'"):
        replace(plain, nesterov=True)
    cfg = section("motlab")
    del cfg["momentum"]
    with pytest.raises(ConfigError, match="Hyper: the config section lacks the key 'momentum'"):
        net.Hyper.from_config(cfg)


def test_tl4hdr_network_trains_as_keras_would():
    """TL4HDR's network (128-64 ReLU, L1/L2 0.001 on the hidden kernels, SGD with Nesterov
    momentum): the compiled loop takes the same steps as Keras ``model.fit`` from the same
    weights (dropout off and one full batch per epoch, so that no randomness differs)."""
    import keras

    hp = hyper(network="tl4hdr", dropout=0.0, epochs=4, learning_rate=0.05)
    assert hp.sizes == (128, 64) and hp.nesterov and hp.l1 == hp.l2 == 0.001
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 12)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.standard_normal(40) > 0).astype(int)
    init = net.init_params(12, hp.sizes, np.random.default_rng(1))
    ours = net.fit(x, y, replace(hp, batch_size=40), np.random.default_rng(2), init=init)

    reg = keras.regularizers.L1L2(l1=0.001, l2=0.001)
    model = keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Dense(128, activation="relu", kernel_regularizer=reg),
            keras.layers.Dense(64, activation="relu", kernel_regularizer=reg),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.set_weights(init.as_list())
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True), loss="sparse_categorical_crossentropy"
    )
    model.fit(x, y, batch_size=40, epochs=4, shuffle=False, verbose=0)
    for a, b in zip(ours.as_list(), model.get_weights()):
        np.testing.assert_allclose(a, b, atol=2e-5)
    # ... and the checkpoint form keeps both hidden layers.
    again = net.from_keras(net.to_keras(ours, hp))
    assert [k.shape for k in again.kernels] == [(12, 128), (128, 64), (64, 2)]
    np.testing.assert_allclose(net.predict(again, x), net.predict(ours, x), atol=1e-6)


def test_frozen_layers_keep_their_weights():
    hp = hyper(network="tl4hdr", epochs=3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    base = net.fit(x, y, hp, np.random.default_rng(1))
    tuned = net.fit(x, y, hp, np.random.default_rng(2), init=base, frozen=1, learning_rate=0.001, batch_size=5)
    np.testing.assert_array_equal(tuned.kernels[0], base.kernels[0])
    np.testing.assert_array_equal(tuned.biases[0], base.biases[0])
    assert not np.allclose(tuned.kernels[1], base.kernels[1])
    with pytest.raises(ValueError, match="the head must train"):
        net.fit(x, y, hp, np.random.default_rng(2), init=base, frozen=3)  # 2 hidden layers
    with pytest.raises(ValueError, match="unknown network"):
        hyper(network="resnet")
