"""Contrastive (Caffe's ContrastiveLoss): hand-computed values and gradients in
every reduction, the d = 0 and beyond-the-margin cases, label and shape errors,
check_loss, and a negative control."""
import numpy as np
import pytest

from kubik import losses
from kubik.layers import GradcheckError


def test_by_hand():
    # d = 5, 1, 1 (margin 2): similar ½·25; dissimilar inside the margin ½·(2 − 1)² twice
    a = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    b = np.array([[3.0, 4.0], [1.0, 2.0], [1.0, 0.0]])
    y = np.array([1, 0, 0])
    L = losses.Contrastive(margin=2.0)
    assert L.forward(a, b, y) == pytest.approx((12.5 + 0.5 + 0.5) / 3)
    da, db = L.backward()
    # similar: D = a − b; dissimilar: −(m − d)/d · D, each / N
    np.testing.assert_allclose(da, [[-1.0, -4 / 3], [0.0, 1 / 3], [1 / 3, 0.0]])
    np.testing.assert_allclose(db, -da)
    s = losses.Contrastive(margin=2.0, reduction="none")
    np.testing.assert_allclose(s.forward(a, b, y), [12.5, 0.5, 0.5])
    np.testing.assert_allclose(s.backward()[0], 3 * da)
    assert losses.Contrastive(margin=2.0, reduction="sum").forward(a, b, y) == pytest.approx(13.5)


def test_beyond_the_margin_and_at_zero_distance_nothing_pushes():
    a = np.array([[0.0, 0.0], [0.5, 0.5]])
    b = np.array([[3.0, 0.0], [0.5, 0.5]])      # d = 3 > margin; d = 0 (identical, dissimilar)
    L = losses.Contrastive(margin=1.0, reduction="none")
    np.testing.assert_allclose(L.forward(a, b, np.array([0, 0])), [0.0, 0.5])
    da, db = L.backward()
    assert np.all(np.isfinite(da)) and not da.any() and not db.any()     # no direction at d = 0
    np.testing.assert_allclose(L.forward(a, b, np.array([True, True])), [4.5, 0.0])   # bool labels work


def test_gradcheck_and_check_loss_and_negative_control():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    y = np.array([1, 0, 1, 0, 0, 1])
    assert losses.gradcheck_loss(losses.Contrastive(margin=3.0), (a, b), y).ok
    losses.check_loss(losses.Contrastive(margin=3.0), (a, b), y)

    class Wrong(losses.Contrastive):
        def backward(self):
            da, db = super().backward()
            return da, db * 0.5          # forgets half of b's gradient

    with pytest.raises(GradcheckError):
        losses.gradcheck_loss(Wrong(margin=3.0), (a, b), y)


def test_errors_name_the_loss_and_the_value():
    L = losses.Contrastive()
    a = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"Contrastive: y must hold 1 \(similar pair\) or 0 \(dissimilar\), got "
                                         r"values \[-1, 1\]"):
        L.forward(a, a, np.array([1, -1, 1]))
    with pytest.raises(ValueError, match=r"Contrastive: y has shape \(2,\), expected \(3,\)"):
        L.forward(a, a, np.array([1, 0]))
    with pytest.raises(ValueError, match="b has shape"):
        L.forward(a, np.zeros((3, 3)), np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="margin must be a finite number > 0"):
        losses.Contrastive(margin=0)
    with pytest.raises(ValueError, match="empty batch"):
        L.forward(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0))
    assert losses.LOSSES.get("ContrastiveLoss") is losses.Contrastive
    assert losses.Contrastive(margin=2.0).spec() == {"Contrastive": {"margin": 2.0}}
