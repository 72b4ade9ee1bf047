"""Hand-computed values and edge cases for the core layers."""
import math
import tracemalloc

import numpy as np
import pytest

from kubik import layers
from kubik.layers import Linear


def test_linear_by_hand():
    lin = Linear(2, 3, rng=0)
    lin.weight.data[...] = [[1, 2, 3], [4, 5, 6]]
    lin.bias.data[...] = [0.5, -0.5, 1]
    X = np.array([[1, 1], [2, 0]], np.float32)
    np.testing.assert_allclose(lin.forward(X), [[5.5, 6.5, 10], [2.5, 3.5, 7]])
    G = np.array([[1, 0, 0], [0, 1, 1]], np.float32)
    np.testing.assert_allclose(lin.backward(G), [[1, 4], [5, 11]])          # G Wᵀ
    np.testing.assert_allclose(lin.weight.grad, [[1, 2, 2], [1, 0, 0]])     # Xᵀ G
    np.testing.assert_allclose(lin.bias.grad, [1, 1, 1])                     # 1ᵀ G


def test_linear_init_range_and_batch_of_one():
    lin = Linear(100, 50, rng=0)
    assert np.abs(lin.weight.data).max() <= 0.1 and lin.weight.data.std() > 0.05
    assert lin.forward(np.ones((1, 100), np.float32)).shape == (1, 50)
    assert lin.backward(np.ones((1, 50), np.float32)).shape == (1, 100)


def test_relu_family_by_hand():
    X = np.array([[-2.0, -0.5, 0.0, 1.5]])
    G = np.array([[1.0, 2.0, 3.0, 4.0]])
    r = layers.ReLU()
    np.testing.assert_array_equal(r.forward(X), [[0, 0, 0, 1.5]])
    np.testing.assert_array_equal(r.backward(G), [[0, 0, 0, 4]])   # subgradient 0 at 0, as PyTorch
    lr = layers.LeakyReLU(0.1)
    np.testing.assert_allclose(lr.forward(X), [[-0.2, -0.05, 0, 1.5]])
    np.testing.assert_allclose(lr.backward(G), [[0.1, 0.2, 0.3, 4]])
    e = layers.ELU(2.0)
    np.testing.assert_allclose(e.forward(X), [[2 * (math.exp(-2) - 1), 2 * (math.exp(-0.5) - 1), 0, 1.5]])
    np.testing.assert_allclose(e.backward(G), [[2 * math.exp(-2), 4 * math.exp(-0.5), 6, 4]])


def test_smooth_activations_by_hand():
    X = np.array([[-1.0, 0.0, 2.0]])
    s = layers.Sigmoid()
    sig = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(s.forward(X), sig, rtol=1e-12)
    np.testing.assert_allclose(s.backward(np.ones_like(X)), sig * (1 - sig), rtol=1e-12)
    t = layers.Tanh()
    np.testing.assert_allclose(t.forward(X), np.tanh(X))
    np.testing.assert_allclose(t.backward(np.ones_like(X)), 1 - np.tanh(X) ** 2)
    sp = layers.Softplus()
    np.testing.assert_allclose(sp.forward(X), np.log1p(np.exp(X)), rtol=1e-12)
    np.testing.assert_allclose(sp.backward(np.ones_like(X)), sig, rtol=1e-12)
    g = layers.GELU()
    # GELU(1) = Φ(1) = 0.8413447460685429, GELU(-1) = -(1 - Φ(1))
    np.testing.assert_allclose(g.forward(np.array([[1.0, -1.0, 0.0]])), [[0.8413447460685429, -0.15865525393145707, 0]])
    # GELU'(0) = Φ(0) = 0.5; GELU'(1) = Φ(1) + φ(1)
    np.testing.assert_allclose(g.backward(np.ones((1, 3))), [[0.8413447460685429 + 0.24197072451914337,
                                                              0.15865525393145707 - 0.24197072451914337, 0.5]])
    gt = layers.GELU("tanh")
    u = math.sqrt(2 / math.pi) * (1 + 0.044715)
    np.testing.assert_allclose(gt.forward(np.array([[1.0]])), [[0.5 * (1 + math.tanh(u))]])


def test_extreme_inputs_stay_finite():
    X = np.array([[-1e4, -100.0, 100.0, 1e4]], np.float32)
    for layer in (layers.Sigmoid(), layers.Tanh(), layers.Softplus(), layers.GELU(), layers.ELU(), layers.Softmax(),
                  layers.LogSoftmax()):
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
            Y = layer.forward(X)
            dX = layer.backward(np.ones_like(X))
        assert np.isfinite(Y).all() and np.isfinite(dX).all(), repr(layer)
    np.testing.assert_array_equal(layers.Sigmoid().forward(X), [[0, 0, 1, 1]])
    np.testing.assert_array_equal(layers.Softplus().forward(X)[0, 2:], [100, 1e4])
    np.testing.assert_allclose(layers.LogSoftmax().forward(X), [[-2e4, -10100, -9900, 0]])


def test_zeros():
    Z = np.zeros((2, 3), np.float32)
    np.testing.assert_allclose(layers.Softmax().forward(Z), np.full((2, 3), 1 / 3), rtol=1e-6)
    np.testing.assert_allclose(layers.Sigmoid().forward(Z), 0.5)
    np.testing.assert_allclose(layers.Softplus().forward(Z), math.log(2), rtol=1e-6)
    assert not layers.GELU().forward(Z).any() and not layers.Tanh().forward(Z).any()


def test_softmax_and_logsoftmax_by_hand():
    X = np.array([[1.0, 2.0, 3.0]])
    e = np.exp([1.0, 2.0, 3.0])
    p = e / e.sum()
    s = layers.Softmax()
    np.testing.assert_allclose(s.forward(X), [p])
    G = np.array([[1.0, 0.0, -1.0]])
    jac = np.diag(p) - np.outer(p, p)                 # the Jacobian, built only in the test
    np.testing.assert_allclose(s.backward(G), G @ jac)
    ls = layers.LogSoftmax()
    np.testing.assert_allclose(ls.forward(X), [np.log(p)])
    np.testing.assert_allclose(ls.backward(G), G @ (np.eye(3) - np.tile(p, (3, 1))))
    np.testing.assert_allclose(layers.Softmax().forward(np.array([[5.0]])), [[1.0]])   # batch of 1, one class


def test_softmax_backward_builds_no_jacobian():
    """2000×2000 batch: a Jacobian would be 2000·2000·2000 floats (32 GB);
    backward's peak extra memory must stay within a few times the input."""
    X = np.random.default_rng(0).standard_normal((2000, 2000)).astype(np.float32)
    G = np.ones_like(X)
    s = layers.Softmax()
    s.forward(X)
    tracemalloc.start()
    try:
        dX = s.backward(G)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert dX.shape == X.shape
    assert peak <= 3 * X.nbytes, f"backward peak {peak / 1e6:.1f} MB for a {X.nbytes / 1e6:.1f} MB input"


def test_dropout_inverted_scaling_and_eval_identity():
    X = np.ones((200, 500), np.float32)
    d = layers.Dropout(0.25, rng=0)
    Y = d.forward(X)
    kept = Y != 0
    np.testing.assert_allclose(Y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.01 and abs(Y.mean() - 1) < 0.02
    np.testing.assert_array_equal(d.backward(X), Y)          # same mask
    d.eval()
    assert d.forward(X) is X and d.backward(X) is X
    assert not layers.Dropout(1.0, rng=0).forward(X).any()
    Y0 = layers.Dropout(0.0).forward(X)
    np.testing.assert_array_equal(Y0, X)


def test_dropout_reproducible_from_seed():
    layers.seed(5)
    a = layers.Dropout(0.5).forward(np.ones((4, 4)))
    layers.seed(5)
    np.testing.assert_array_equal(a, layers.Dropout(0.5).forward(np.ones((4, 4))))


def test_flatten_and_reshape():
    X = np.arange(24.0).reshape(2, 3, 2, 2)
    f = layers.Flatten()
    Y = f.forward(X)
    assert Y.shape == (2, 12) and f.backward(Y).shape == X.shape
    assert f.output_shape((3, 2, 2)) == (12,)
    r = layers.Reshape(4, -1)
    assert r.forward(X).shape == (2, 4, 3) and r.output_shape((3, 2, 2)) == (4, 3)
    with pytest.raises(ValueError, match="Reshape"):
        layers.Reshape(5).forward(X)
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape(-1, -1)


def test_elementwise_backward_rejects_wrong_gradient_shape():
    r = layers.ReLU()
    r.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"ReLU\(\): grad_Y has shape \(3, 2\), expected \(2, 3\)"):
        r.backward(np.ones((3, 2)))
