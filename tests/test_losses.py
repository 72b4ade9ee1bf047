"""Hand-computed values and edge cases for the losses."""
import math

import numpy as np
import pytest

from kubik import losses
from kubik.losses import BCE, MSE, NLL, BCEWithLogits, CrossEntropy


def test_mse_by_hand():
    P, T = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [1.0, 5.0]])
    m = MSE()
    assert m.forward(P, T) == pytest.approx((1 + 0 + 4 + 1) / 4)
    np.testing.assert_allclose(m.backward(), 2 * (P - T) / 4)
    s = MSE(reduction="sum")
    assert s.forward(P, T) == pytest.approx(6.0)
    np.testing.assert_allclose(s.backward(), 2 * (P - T))


def test_cross_entropy_by_hand():
    Z = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    y = np.array([2, 0])
    ce = CrossEntropy()
    lse = math.log(math.e + math.e ** 2 + math.e ** 3)
    assert ce.forward(Z, y) == pytest.approx(((lse - 3) + math.log(3)) / 2)
    P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    np.testing.assert_allclose(ce.backward(), (P - np.eye(3)[y]) / 2)


def test_cross_entropy_extreme_logits_are_exact_and_finite():
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], np.float32)
    ce = CrossEntropy()
    assert ce.forward(Z, np.array([0, 1])) == 0.0
    G = ce.backward()
    assert np.isfinite(G).all() and np.abs(G).max() == 0.0
    v = ce.forward(Z, np.array([1, 0]))
    assert v == pytest.approx(2e4, rel=1e-6)
    np.testing.assert_allclose(ce.backward(), [[0.5, -0.5, 0], [-0.5, 0.5, 0]])


def test_cross_entropy_soft_targets_and_smoothing_agree():
    Z = np.random.default_rng(0).standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    eps = 0.1
    a = CrossEntropy(label_smoothing=eps)
    b = CrossEntropy()
    Q = np.eye(4)[y] * (1 - eps) + eps / 4
    assert a.forward(Z, y) == pytest.approx(b.forward(Z, Q))
    np.testing.assert_allclose(a.backward(), b.backward())


def test_cross_entropy_float32_stays_float32_and_batch_of_one():
    Z = np.array([[0.5, -0.5]], np.float32)
    ce = CrossEntropy()
    v = ce.forward(Z, np.array([1]))
    assert isinstance(v, float) and v == pytest.approx(math.log(1 + math.e))
    assert ce.backward().dtype == np.float32


def test_cross_entropy_label_errors():
    ce = CrossEntropy()
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        ce.forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"target has shape \(3,\), expected \(2,\)"):
        ce.forward(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integer class labels"):
        ce.forward(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        ce.forward(np.zeros(3), np.array([0]))
    ce.forward(np.zeros((2, 3)), np.array([0.0, 2.0]))   # float labels holding integers are accepted


def test_nll_by_hand_and_with_logsoftmax_equals_cross_entropy():
    from kubik import layers
    L = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    nll = NLL()
    assert nll.forward(L, np.array([1, 0])) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    np.testing.assert_allclose(nll.backward(), [[0, -0.5], [-0.5, 0]])
    Z = np.random.default_rng(1).standard_normal((4, 3))
    y = np.array([0, 1, 2, 1])
    ls = layers.LogSoftmax()
    v = nll.forward(ls.forward(Z), y)
    g = ls.backward(nll.backward())
    ce = CrossEntropy()
    assert v == pytest.approx(ce.forward(Z, y))
    np.testing.assert_allclose(g, ce.backward())


def test_bce_by_hand_and_clipping():
    p, t = np.array([0.9, 0.2]), np.array([1.0, 0.0])
    b = BCE()
    assert b.forward(p, t) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)
    np.testing.assert_allclose(b.backward(), [(0.9 - 1) / (0.9 * 0.1) / 2, 0.2 / (0.2 * 0.8) / 2])
    # p = 0 or 1 exactly: log clamped at -100 as in PyTorch, gradient finite
    v = b.forward(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert v == pytest.approx(100.0)
    assert np.isfinite(b.backward()).all()
    assert b.forward(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*BCEWithLogits"):
        b.forward(np.array([1.5]), np.array([1.0]))


def test_bce_with_logits_matches_bce_and_is_stable():
    x = np.array([[-3.0, 0.0, 2.0]])
    t = np.array([[0.0, 1.0, 1.0]])
    a, b = BCEWithLogits(), BCE()
    s = 1 / (1 + np.exp(-x))
    assert a.forward(x, t) == pytest.approx(b.forward(s, t))
    np.testing.assert_allclose(a.backward(), (s - t) / 3)
    big = np.array([[1e4, -1e4]], np.float32)
    assert a.forward(big, np.array([[0.0, 1.0]], np.float32)) == pytest.approx(1e4)
    assert np.isfinite(a.backward()).all() and a.backward().dtype == np.float32
    assert a.forward(big, np.array([[1.0, 0.0]], np.float32)) == 0.0


def test_zeros_and_shapes():
    assert MSE().forward(np.zeros((3, 2)), np.zeros((3, 2))) == 0.0
    assert BCEWithLogits().forward(np.zeros((2, 2)), np.ones((2, 2))) == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match=r"pred has shape \(3, 2\) but target has shape \(2, 3\)"):
        MSE().forward(np.zeros((3, 2)), np.zeros((2, 3)))


@pytest.mark.parametrize("loss", [MSE(), CrossEntropy(), NLL(), BCE(), BCEWithLogits()], ids=repr)
def test_backward_before_forward(loss):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        loss.backward()


def test_bad_reduction_and_registry_aliases():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        MSE(reduction="avg")
    assert losses.LOSSES.get("CrossEntropyLoss") is CrossEntropy
    with pytest.raises(ValueError, match="did you mean 'CrossEntropy'"):
        losses.LOSSES.get("CrossEntropi")
