"""Conv2d's Winograd F(2x2, 3x3) path (layers/winograd*.py): equal to the im2col
path up to rounding (forward, dX, dW, db), finite-difference gradients, odd and
non-square sizes, chunked batches, the ``algo`` choice and its errors, and a
config using it. Runs on both backends (numpy and the compiled transforms)."""
import numpy as np
import pytest

from kubik import layers
from kubik.layers import testing
from kubik.layers.conv import winograd_conv
from kubik.nets import build as B
from kubik.nets import config as C

pytestmark = pytest.mark.usefixtures("backend")

TOL = {np.float32: 1e-5, np.float64: 1e-12}


def run(algo, X, G, dtype, **kw):
    conv = layers.Conv2d(X.shape[1], G.shape[1], 3, rng=0, dtype=dtype, algo=algo, **kw)
    Y = conv.forward(X)
    dX = conv.backward(G)
    return [Y, dX, conv.weight.grad, conv.bias.grad if conv.bias is not None else np.zeros(1)]


def compare(N, C_, O, H, W, pad, dtype, **kw):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, C_, H, W)).astype(dtype)
    G = rng.standard_normal((N, O, H + 2 * pad - 2, W + 2 * pad - 2)).astype(dtype)
    ref, got = run("im2col", X, G, dtype, padding=pad, **kw), run("winograd", X, G, dtype, padding=pad, **kw)
    for name, a, b in zip(("Y", "dX", "dW", "db"), ref, got):
        assert b.shape == a.shape and b.dtype == a.dtype, name
        err = np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-30)
        assert err < TOL[dtype], (name, err)
    return ref, got


SHAPES = [(2, 3, 4, 6, 6, 1), (2, 3, 4, 7, 7, 1), (1, 2, 3, 6, 9, 0), (3, 5, 2, 5, 8, 2),
          (1, 1, 1, 3, 3, 0), (2, 4, 6, 4, 11, 1), (2, 16, 16, 10, 12, 1), (2, 2, 3, 4, 5, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_im2col(shape, dtype):
    compare(*shape, dtype)


def test_no_bias_and_propagate_down_off():
    compare(2, 3, 4, 7, 6, 1, np.float64, bias=False)
    conv = layers.Conv2d(3, 4, 3, padding=1, algo="winograd", rng=0)
    conv.set_propagate_down(False)
    conv.forward(np.ones((2, 3, 5, 5), np.float32))
    assert conv.backward(np.ones((2, 4, 5, 5), np.float32)) is None
    assert np.all(conv.weight.grad != 0)


@pytest.mark.parametrize("keep", [True, False])
def test_chunked_batches(monkeypatch, keep):
    """Several chunks of samples (the last one smaller), V kept for backward or recomputed."""
    monkeypatch.setattr(winograd_conv, "CHUNK_BYTES", 1)               # one sample per chunk
    monkeypatch.setattr(winograd_conv, "KEEP_V_BYTES", 1 << 30 if keep else 0)
    compare(5, 3, 4, 7, 8, 1, np.float64)


def test_hand_computed_value():
    """All-ones 3x3 filter, bias 0.5, on a 4x4 ramp with padding 1: every output is
    the sum of its 3x3 neighbourhood plus 0.5."""
    conv = layers.Conv2d(1, 1, 3, padding=1, algo="winograd", dtype=np.float64)
    conv.weight.data[...] = 1.0
    conv.bias.data[...] = 0.5
    X = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    P = np.pad(X[0, 0], 1)
    want = [[P[i:i + 3, j:j + 3].sum() + 0.5 for j in range(4)] for i in range(4)]
    np.testing.assert_allclose(conv.forward(X)[0, 0], want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("pad,hw", [(1, (5, 6)), (0, (6, 5))])
def test_gradcheck_float64(pad, hw):
    conv = layers.Conv2d(2, 3, 3, padding=pad, algo="winograd", rng=1)
    layers.gradcheck(conv, np.random.default_rng(2).standard_normal((2, 2) + hw))


def test_check_layer_all_checks():
    testing.check_layer(layers.Conv2d(3, 2, 3, padding=1, algo="winograd", rng=3), (2, 3, 5, 4))


def test_negative_control(monkeypatch):
    """A wrong sign in the backward transforms must be caught by both kinds of check."""
    conv = layers.Conv2d(2, 3, 3, padding=1, algo="winograd", rng=1)
    X = np.random.default_rng(2).standard_normal((2, 2, 4, 5))
    monkeypatch.setattr(winograd_conv, "SIGNS", -winograd_conv.SIGNS)
    assert not layers.gradcheck(conv, X, raise_on_fail=False).ok
    with pytest.raises(AssertionError):
        compare(2, 2, 3, 4, 5, 1, np.float64)


@pytest.mark.parametrize("kw,why", [(dict(kernel_size=5), "kernel_size=(5, 5)"),
                                    (dict(kernel_size=3, stride=2), "stride=(2, 2)"),
                                    (dict(kernel_size=3, dilation=2), "dilation=(2, 2)"),
                                    (dict(kernel_size=3, groups=2), "groups=2")])
def test_winograd_refused_where_it_cannot_run(kw, why):
    with pytest.raises(ValueError, match=r"Conv2d\(4, 4, .*algo='winograd' needs a 3x3 kernel.*" + why.replace("(", r"\(").replace(")", r"\)")):
        layers.Conv2d(4, 4, algo="winograd", **kw)


def test_bad_algo_name():
    with pytest.raises(ValueError, match="Conv2d: algo must be one of auto, im2col, winograd, got 'fft'"):
        layers.Conv2d(4, 4, 3, algo="fft")


def test_auto_choice():
    def used(conv, hw):
        conv.forward(np.zeros((1, conv.in_channels) + hw, np.float32))
        return conv._wino
    assert used(layers.Conv2d(64, 64, 3, padding=1), (32, 32))
    assert not used(layers.Conv2d(64, 64, 3, padding=1), (4, 4))          # small maps: im2col
    assert not used(layers.Conv2d(4, 8, 3, padding=1), (32, 32))          # few channels: im2col
    assert not used(layers.Conv2d(64, 64, 5, padding=2), (32, 32))        # 5x5 (LeNet): untouched
    assert not used(layers.Conv2d(64, 64, 3, padding=1, algo="im2col"), (32, 32))
    assert used(layers.Conv2d(2, 2, 3, algo="winograd"), (3, 3))
    assert "algo='winograd'" in repr(layers.Conv2d(2, 2, 3, algo="winograd"))


def test_config_key():
    """``algo`` is a Conv2d argument, hence a YAML key; a bad value is a one-line config error."""
    text = ("data: {name: digits, image: true}\nmodel:\n"
            "  - Conv2d: {out_channels: 4, kernel_size: 3, padding: 1, algo: winograd}\n"
            "  - Flatten\n  - Linear: {out_features: 10}\n")
    net = B.build(C.load("t.yaml", (), text=text)[0]).net
    assert net[0].algo == "winograd"
    with pytest.raises(C.ConfigError) as e:
        B.build(C.load("t.yaml", (), text=text.replace("algo: winograd", "algo: fft"))[0])
    assert "algo must be one of auto, im2col, winograd, got 'fft'" in str(e.value) and "\n" not in str(e.value)


def test_in_a_net_matches_im2col():
    """Two Winograd convs in a row: the second reads the first's channels-last output
    (through ReLU) and gets its gradient from MaxPool2d; as the im2col net up to rounding."""
    from kubik import nets

    def net(algo):
        layers.seed(0)
        return nets.Sequential(layers.Conv2d(3, 8, 3, padding=1, algo=algo), layers.ReLU(),
                               layers.Conv2d(8, 8, 3, padding=1, algo=algo), layers.MaxPool2d(2),
                               layers.Flatten(), layers.Linear(8 * 3 * 4, 5))
    X = np.random.default_rng(4).standard_normal((2, 3, 7, 9))
    out = []
    for algo in ("im2col", "winograd"):
        n = net(algo).astype(np.float64)
        Y = n.forward(X)
        dX = n.backward(np.ones_like(Y))
        out.append([Y, dX] + [p.grad.copy() for p in n.parameters()])
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_algo_checked_when_set_later():
    conv = layers.Conv2d(4, 4, 5)
    with pytest.raises(ValueError, match="needs a 3x3 kernel"):
        conv.algo = "winograd"
    conv = layers.Conv2d(4, 4, 3)
    conv.algo = "winograd"
    assert conv.algo == "winograd"


def test_new_input_size_with_the_same_tiles():
    """6x6 then 5x5 maps (pad 1) have the same 3x3 tile grid: the zero borders of the
    reused padded buffers must not keep the larger input's last row and column."""
    rng = np.random.default_rng(5)
    wino = layers.Conv2d(2, 3, 3, padding=1, algo="winograd", rng=0, dtype=np.float64)
    ref = layers.Conv2d(2, 3, 3, padding=1, algo="im2col", rng=0, dtype=np.float64)
    for hw in ((6, 6), (5, 5), (6, 5)):
        X = rng.standard_normal((2, 2) + hw)
        G = rng.standard_normal((2, 3) + hw)
        for conv in (wino, ref):
            conv.zero_grad()
        np.testing.assert_allclose(wino.forward(X), ref.forward(X), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(wino.backward(G), ref.backward(G), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(wino.weight.grad, ref.weight.grad, rtol=1e-12, atol=1e-12)
