"""CrossEntropy and NLL with the class axis last on (N, ..., C) and PyTorch's ignore_index."""
import math

import numpy as np
import pytest

from kubik.losses import NLL, CrossEntropy


def test_hand_value_with_an_ignored_step():
    ce = CrossEntropy()
    Z = np.zeros((1, 2, 3))
    Z[0, 0] = [0.0, math.log(2.0), 0.0]      # softmax = (1/4, 1/2, 1/4)
    assert ce.forward(Z, np.array([[1, -100]])) == pytest.approx(math.log(2.0))   # mean over 1 counted step
    np.testing.assert_allclose(ce.backward(), [[[0.25, -0.5, 0.25], [0, 0, 0]]])


@pytest.mark.parametrize("make", [lambda: CrossEntropy(), lambda: CrossEntropy(reduction="sum"),
                                  lambda: CrossEntropy(label_smoothing=0.2), lambda: NLL(), lambda: NLL(reduction="sum")],
                         ids=["ce", "ce_sum", "ce_smooth", "nll", "nll_sum"])
def test_sequence_equals_flattened_rows_without_ignored_ones(make):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((3, 5, 4)).astype(np.float32)
    y = rng.integers(0, 4, (3, 5))
    y[0, 1] = y[2, 4] = y[1, 0] = -100
    seq, flat = make(), make()
    v = seq.forward(Z, y)
    G = seq.backward()
    keep = y.reshape(-1) != -100
    w = flat.forward(Z.reshape(-1, 4)[keep], y.reshape(-1)[keep])
    H = flat.backward()
    assert v == pytest.approx(w, rel=1e-6)
    assert G.shape == Z.shape and G.dtype == np.float32
    np.testing.assert_allclose(G.reshape(-1, 4)[keep], H, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(G.reshape(-1, 4)[~keep], 0)


def test_custom_ignore_index_and_unignored_sequences():
    ce = CrossEntropy(ignore_index=0)
    Z = np.random.default_rng(1).standard_normal((2, 3, 4))
    y = np.array([[0, 1, 2], [3, 0, 0]])
    v = ce.forward(Z, y)
    ref = CrossEntropy().forward(Z.reshape(-1, 4)[[1, 2, 3]], np.array([1, 2, 3]))
    assert v == pytest.approx(ref)
    assert CrossEntropy().forward(Z, np.ones((2, 3), int)) == pytest.approx(
        CrossEntropy().forward(Z.reshape(6, 4), np.ones(6, int)))
    assert "ignore_index=0" in repr(ce)


@pytest.mark.parametrize("loss", [CrossEntropy(), NLL()], ids=repr)
def test_every_label_ignored_is_nan_with_zero_gradient_like_pytorch(loss):
    v = loss.forward(np.zeros((2, 3)), np.array([-100, -100]))
    assert math.isnan(v)
    np.testing.assert_array_equal(loss.backward(), 0)
    assert type(loss)(reduction="sum").forward(np.zeros((2, 3)), np.array([-100, -100])) == 0.0


def test_errors():
    with pytest.raises(ValueError, match=r"target has shape \(2, 3\), expected \(2, 4\)"):
        CrossEntropy().forward(np.zeros((2, 4, 5)), np.zeros((2, 3), int))
    with pytest.raises(ValueError, match=r"or equal ignore_index=-100"):
        NLL().forward(np.zeros((2, 4, 5)), np.full((2, 4), 5))
    with pytest.raises(TypeError, match="ignore_index"):
        CrossEntropy(ignore_index=0.5)
    soft = np.full((2, 3, 4), 0.25)       # soft targets shaped like the logits still work on sequences
    assert CrossEntropy().forward(np.zeros((2, 3, 4)), soft) == pytest.approx(math.log(4))
