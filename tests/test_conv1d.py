"""Conv1d, MaxPool1d, AvgPool1d: values against direct sums, equivalence with
the 2-d layers they delegate to (also through optimizer steps), configs, errors."""
import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets.builders.model import build_model


def direct_conv1d(X, W, b, stride, padding, dilation, groups):
    N, C, L = X.shape
    O, Cg, K = W.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding)))
    Lo = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1
    Y = np.zeros((N, O, Lo))
    for o in range(O):
        g = o // (O // groups)
        for lo in range(Lo):
            for c in range(Cg):
                for i in range(K):
                    Y[:, o, lo] += W[o, c, i] * Xp[:, g * Cg + c, lo * stride + i * dilation]
        Y[:, o] += 0 if b is None else b[o]
    return Y


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=2, dilation=2, groups=2), dict(padding=1, bias=False)])
def test_conv1d_matches_a_direct_sum(kw):
    rng = np.random.default_rng(0)
    conv = layers.Conv1d(4, 6, 3, rng=1, dtype=np.float64, **kw)
    X = rng.standard_normal((2, 4, 10))
    b = None if conv.bias is None else conv.bias.data
    ref = direct_conv1d(X, conv.weight.data, b, kw.get("stride", 1), kw.get("padding", 0), kw.get("dilation", 1),
                        kw.get("groups", 1))
    np.testing.assert_allclose(conv.forward(X), ref, atol=1e-12)
    assert conv.weight.shape == (6, 4 // kw.get("groups", 1), 3)
    assert [n for n, _ in conv.named_parameters()] == (["weight", "bias"] if b is not None else ["weight"])


def test_conv1d_by_hand():
    conv = layers.Conv1d(1, 1, 2, dtype=np.float64)
    conv.weight.data[...] = [[[1.0, -1.0]]]
    conv.bias.data[...] = 0.5
    np.testing.assert_allclose(conv.forward(np.array([[[1.0, 3.0, 2.0]]])), [[[-1.5, 1.5]]])
    dX = conv.backward(np.array([[[1.0, 2.0]]]))
    np.testing.assert_allclose(dX, [[[1.0, 1.0, -2.0]]])
    np.testing.assert_allclose(conv.weight.grad, [[[1 + 6.0, 3 + 4.0]]])
    np.testing.assert_allclose(conv.bias.grad, [3.0])


def test_pools_by_hand_and_shapes():
    X = np.array([[[1.0, 5.0, 2.0, 4.0, 3.0]]])
    mp, ap = layers.MaxPool1d(2), layers.AvgPool1d(3, stride=1, padding=1, count_include_pad=False)
    np.testing.assert_allclose(mp.forward(X), [[[5.0, 4.0]]])
    np.testing.assert_allclose(mp.backward(np.array([[[1.0, 2.0]]])), [[[0, 1.0, 0, 2.0, 0]]])
    np.testing.assert_allclose(ap.forward(X), [[[3.0, 8 / 3, 11 / 3, 3.0, 3.5]]])
    assert ap.output_shape((1, 5)) == (1, 5) and mp.output_shape((3, 9)) == (3, 4)


def test_same_training_trajectory_as_conv2d_on_height_one_images():
    """The 1-d net and the equivalent 2-d net, trained 5 SGD-momentum steps, stay equal
    (the optimizer may re-point parameters at flat buffers: the wrapper follows)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3, 12)).astype(np.float32), rng.integers(0, 4, 8)
    net1 = nets.Sequential(layers.Conv1d(3, 5, 3, padding=1, rng=0), layers.ReLU(), layers.MaxPool1d(2),
                           layers.AvgPool1d(2), layers.Flatten(), layers.Linear(15, 4, rng=1))
    net2 = nets.Sequential(layers.Conv2d(3, 5, (1, 3), padding=(0, 1), rng=0), layers.ReLU(),
                           layers.MaxPool2d((1, 2)), layers.AvgPool2d((1, 2)), layers.Flatten(), layers.Linear(15, 4, rng=1))
    for net, data in ((net1, X), (net2, X[:, :, None, :])):
        opt, ce = optim.SGD(net.parameters(), lr=0.1, momentum=0.9), losses.CrossEntropy()
        for _ in range(5):
            ce.forward(net.forward(data), y)
            opt.zero_grad()
            net.backward(ce.backward())
            opt.step()
    np.testing.assert_allclose(net1.forward(X), net2.forward(X[:, :, None, :]).reshape(8, 4), rtol=1e-5, atol=1e-6)
    w1, w2 = net1.state_dict()["0.weight"], net2.state_dict()["0.weight"]
    np.testing.assert_allclose(w1, w2.reshape(w1.shape), rtol=1e-5, atol=1e-6)


def test_config_and_errors():
    net, _, shape = build_model([{"Conv1d": {"out_channels": 4, "kernel_size": 3, "padding": 1}}, "ReLU",
                                 {"MaxPool1d": {"kernel_size": 2}}, "Flatten", {"Linear": {"out_features": 2}}], (2, 10))
    assert shape == (2,) and net.forward(np.zeros((3, 2, 10), np.float32)).shape == (3, 2)
    with pytest.raises(ValueError, match=r"Conv1d.*divisible by groups"):
        layers.Conv1d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv1d: kernel_size must be an int >= 1, got \(2, 2\)"):
        layers.Conv1d(3, 4, (2, 2))
    with pytest.raises(ValueError, match=r"Conv1d.*\(N, C, L\)"):
        layers.Conv1d(3, 4, 3).forward(np.zeros((2, 3, 1, 5)))
    with pytest.raises(ValueError, match="MaxPool1d: padding"):
        layers.MaxPool1d(2, padding=2)
    with pytest.raises(nets.ConfigError):
        build_model([{"Conv1d": {"out_channels": 4, "kernel_size": 3}}], (2, 5, 5))
    conv = layers.Conv1d(2, 3, 2)
    conv.set_propagate_down(False)
    conv.forward(np.zeros((1, 2, 4), np.float32))
    assert conv.backward(np.ones((1, 3, 3), np.float32)) is None
