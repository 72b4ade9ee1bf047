"""``init:`` of Linear and Conv2d (PyTorch's names, layers.core.init): the drawn
weights have the stated bounds and standard deviations, the default is the
draw it always was, and configs and bad names behave."""
import math

import numpy as np
import pytest

from kubik import layers
from kubik.nets import build as B
from kubik.nets import config as C

# (init, fan_in, fan_out) -> (distribution, bound or std)
EXPECT = {
    "default": lambda fi, fo: ("uniform", 1 / math.sqrt(fi)),
    "kaiming_uniform": lambda fi, fo: ("uniform", math.sqrt(6 / fi)),
    "kaiming_normal": lambda fi, fo: ("normal", math.sqrt(2 / fi)),
    "xavier_uniform": lambda fi, fo: ("uniform", math.sqrt(6 / (fi + fo))),
    "xavier_normal": lambda fi, fo: ("normal", math.sqrt(2 / (fi + fo))),
}


def check_statistics(W, init, fan_in, fan_out):
    kind, scale = EXPECT[init](fan_in, fan_out)
    w = W.astype(np.float64).ravel()
    assert abs(w.mean()) < 4 * scale / math.sqrt(w.size)
    if kind == "uniform":     # U(-b, b): |w| <= b, std b/sqrt(3), and the extremes are reached
        assert np.abs(w).max() <= scale * (1 + 1e-6) and np.abs(w).max() > 0.99 * scale
        assert w.std() == pytest.approx(scale / math.sqrt(3), rel=0.03)
    else:                     # N(0, s²): std s, about 0.3 % beyond 3 s
        assert w.std() == pytest.approx(scale, rel=0.03)
        assert np.abs(w).max() > 3 * scale


@pytest.mark.parametrize("init", list(EXPECT))
def test_linear_weights_follow_the_rule(init):
    lin = layers.Linear(300, 200, init=init, rng=np.random.default_rng(0))
    assert lin.weight.dtype == np.float32 and lin.weight.shape == (300, 200)
    check_statistics(lin.weight.data, init, 300, 200)
    assert np.abs(lin.bias.data).max() <= 1 / math.sqrt(300)   # the bias keeps the default


@pytest.mark.parametrize("init", list(EXPECT))
def test_conv_weights_use_pytorchs_fans(init):
    conv = layers.Conv2d(32, 64, 3, groups=2, init=init, rng=np.random.default_rng(1), dtype=np.float64)
    assert conv.weight.dtype == np.float64
    check_statistics(conv.weight.data, init, 16 * 9, 64 * 9)  # fan_in = C/groups·kh·kw, fan_out = O·kh·kw


def test_default_is_the_draw_it_always_was():
    lin = layers.Linear(5, 3, rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)
    k = 1 / math.sqrt(5)
    np.testing.assert_array_equal(lin.weight.data, rng.uniform(-k, k, (5, 3)).astype(np.float32))
    np.testing.assert_array_equal(lin.bias.data, rng.uniform(-k, k, 3).astype(np.float32))
    assert "init" not in repr(lin) and "init='xavier_normal'" in repr(layers.Linear(2, 2, init="xavier_normal"))


def test_init_from_yaml_and_a_bad_name():
    text = ("data: {name: xor}\nmodel:\n  - Linear: {out_features: 400, init: kaiming_normal}\n"
            "  - ReLU\n  - Linear: {out_features: 2, init: xavier_uniform}\n")
    cfg, _ = C.load("t.yaml", text=text)
    net = B.build(cfg).net
    assert net[0].init == "kaiming_normal" and net[2].init == "xavier_uniform"
    assert net[0].weight.data.std() == pytest.approx(1.0, rel=0.1)     # sqrt(2 / fan_in), fan_in = 2
    with pytest.raises(ValueError, match="Linear: init must be one of default, kaiming_uniform.*got 'he'"):
        layers.Linear(2, 2, init="he")
    with pytest.raises(ValueError, match="Conv2d: init must be one of"):
        layers.Conv2d(1, 1, 3, init=None)
    bad, _ = C.load("t.yaml", text="data: {name: xor}\nmodel:\n  - Linear: {out_features: 2, init: he_normal}\n")
    with pytest.raises(C.ConfigError, match=r"model\[0\].*init must be one of"):
        B.build(bad)
