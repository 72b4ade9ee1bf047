"""The criteria of Torch7's table (L1 ... GaussianNLL) and reduction='none': values
computed by hand, edge cases, argument errors, check_loss, and negative controls (a
deliberately wrong backward fails the gradient check)."""
import math

import numpy as np
import pytest

from kubik import losses
from kubik.layers import GradcheckError


def test_l1_smooth_l1_and_huber_by_hand():
    d = np.array([[3.0, -0.5, 0.0, 1.0]])
    z = np.zeros_like(d)
    l1 = losses.L1()
    assert l1.forward(d, z) == pytest.approx(4.5 / 4)
    np.testing.assert_array_equal(l1.backward(), [[0.25, -0.25, 0.0, 0.25]])     # sign(0) = 0
    s = losses.SmoothL1(beta=1.0, reduction="none")
    np.testing.assert_allclose(s.forward(d, z), [[2.5, 0.125, 0.0, 0.5]])       # |d| = β: 1 − β/2 = β/2
    np.testing.assert_allclose(s.backward(), [[1.0, -0.5, 0.0, 1.0]])
    h = losses.Huber(delta=2.0, reduction="sum")
    assert h.forward(d, z) == pytest.approx(2 * (3 - 1) + 0.125 + 0 + 0.5)
    np.testing.assert_allclose(h.backward(), [[2.0, -0.5, 0.0, 1.0]])
    b0 = losses.SmoothL1(beta=0.0, reduction="sum")                              # β = 0 is L1
    assert b0.forward(d, z) == 4.5
    np.testing.assert_array_equal(b0.backward(), np.sign(d))


def test_kl_div_by_hand_and_batchmean():
    q = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    p = np.array([[0.25, 0.25, 0.5], [0.2, 0.3, 0.5]])
    kl = losses.KLDiv(reduction="batchmean")
    assert kl.forward(np.log(p), q) == pytest.approx(math.log(2) / 2)    # KL(q0‖p0) = log 2, KL(q1‖p1) = 0
    np.testing.assert_allclose(kl.backward(), -q / 2)
    assert losses.KLDiv(reduction="mean").forward(np.log(p), q) == pytest.approx(math.log(2) / 6)
    per = losses.KLDiv(reduction="none").forward(np.log(p), q)
    assert per[0, 2] == 0.0 and per.shape == (2, 3)                # 0 log 0 = 0
    logq = losses.KLDiv(reduction="none", log_target=True).forward(np.log(p), np.log(q + 1e-300))
    np.testing.assert_allclose(logq, per, atol=1e-12)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum', 'none' or 'batchmean'"):
        losses.KLDiv(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'batchmean'"):
        losses.MSE(reduction="batchmean")


def test_poisson_and_gaussian_by_hand():
    x, t = np.array([[0.0, math.log(2.0)]]), np.array([[1.0, 3.0]])
    p = losses.PoissonNLL(reduction="none")
    np.testing.assert_allclose(p.forward(x, t), [[1.0, 2 - 3 * math.log(2)]])
    np.testing.assert_allclose(p.backward(), [[0.0, -1.0]])
    full = losses.PoissonNLL(full=True, reduction="none").forward(x, t)
    np.testing.assert_allclose(full[0, 1] - (2 - 3 * math.log(2)), 3 * math.log(3) - 3 + 0.5 * math.log(6 * math.pi))
    assert full[0, 0] == 1.0                                       # Stirling's term only where t > 1
    g = losses.GaussianNLL(reduction="sum")
    mu, t, var = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]), np.array([[2.0, 4.0]])
    assert g.forward(mu, t, var) == pytest.approx(0.5 * (math.log(2) + 0.5) + 0.5 * (math.log(4) + 1.0))
    dmu, dvar = g.backward()
    np.testing.assert_allclose(dmu, [[0.5, 0.5]])
    np.testing.assert_allclose(dvar, [[0.5 * (0.5 - 0.25), 0.5 * (0.25 - 0.25)]])
    # one variance per sample: its gradient sums over the features
    one = losses.GaussianNLL(reduction="sum")
    one.forward(mu, t, np.array([2.0]))
    assert one.backward()[1].shape == (1,)
    with pytest.raises(ValueError, match="var must be >= 0"):
        g.forward(mu, t, -var)
    with pytest.raises(ValueError, match=r"var has shape \(3,\)"):
        g.forward(mu, t, np.ones(3))
    # below eps the variance is clamped, and the gradient passes the clamp
    tiny = losses.GaussianNLL(eps=1e-3, reduction="sum")
    v = tiny.forward(mu, t, np.array([[0.0, 4.0]]))
    assert np.isfinite(v) and tiny.backward()[1][0, 0] == pytest.approx(0.5 * (1e3 - 1e6))


def test_margin_ranking_margin_exactly_met_passes_the_gradient():
    m = losses.MarginRanking(margin=1.0, reduction="none")
    v = m.forward(np.array([1.0, 3.0, 0.0]), np.array([0.0, 0.0, 0.5]), np.array([1.0, 1.0, -1.0]))
    np.testing.assert_array_equal(v, [0.0, 0.0, 0.5])
    d1, d2 = m.backward()
    np.testing.assert_array_equal(d1, [-1.0, 0.0, 1.0])           # met exactly: slope 1, as torch's clamp
    np.testing.assert_array_equal(d2, -d1)
    with pytest.raises(ValueError, match="y must hold 1"):
        m.forward(np.zeros(2), np.zeros(2), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"x2 has shape \(3,\) but x1 has shape \(2,\)"):
        m.forward(np.zeros(2), np.zeros(3), np.ones(2))


def test_cosine_embedding_by_hand_and_zero_vectors():
    c = losses.CosineEmbedding(margin=0.5, reduction="none")
    x1 = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    x2 = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    v = c.forward(x1, x2, np.array([1.0, -1.0, -1.0]))
    np.testing.assert_allclose(v, [1 - 1 / math.sqrt(2), 0.5, 0.0], atol=1e-9)
    d1, d2 = c.backward()
    assert np.isfinite(d1).all() and np.isfinite(d2).all()
    np.testing.assert_array_equal(d1[2], 0.0)                       # cos 0 < margin: inactive


def test_triplet_zero_distances_have_finite_gradients_and_the_margin_counts():
    t = losses.TripletMargin(margin=1.0, reduction="none")
    z = np.zeros((2, 3))
    np.testing.assert_allclose(t.forward(z, z, z), [1.0, 1.0])      # d = ‖eps‖ on both sides
    da, dp, dn = t.backward()
    for g in (da, dp, dn):
        assert np.isfinite(g).all()
    np.testing.assert_allclose(da, 0.0, atol=1e-12)
    np.testing.assert_allclose(dp, -dn)
    a, p, n = np.zeros((1, 2)), np.array([[3.0, 4.0]]), np.array([[0.0, 1.0]])
    assert losses.TripletMargin(margin=2.0, eps=0.0).forward(a, p, n) == pytest.approx(5 - 1 + 2)
    with pytest.raises(ValueError, match="margin must be a finite number > 0"):
        losses.TripletMargin(margin=0.0)


def test_multi_margin_by_hand():
    x = np.array([[1.0, 0.0, 0.5], [0.0, 2.0, 0.0]])
    y = np.array([0, 0])
    m = losses.MultiMargin(reduction="none")
    np.testing.assert_allclose(m.forward(x, y), [0.5 / 3, (3 + 1) / 3])   # class 1 of row 0 meets the margin
    g = m.backward()
    np.testing.assert_allclose(g, [[-1 / 3, 0.0, 1 / 3], [-2 / 3, 1 / 3, 1 / 3]])
    w = losses.MultiMargin(p=2, weight=[2.0, 1.0, 1.0], reduction="sum")
    assert w.forward(x, y) == pytest.approx(2 * 0.25 / 3 + 2 * (9 + 1) / 3)
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        losses.MultiMargin(p=3)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        m.forward(x, np.array([0, 3]))
    with pytest.raises(ValueError, match="weight has 2 entries but pred has 3 classes"):
        losses.MultiMargin(weight=[1.0, 2.0]).forward(x, y)


def test_none_of_the_older_losses_is_per_sample_and_ignored_positions_are_zero():
    Z = np.random.default_rng(0).standard_normal((4, 3))
    y = np.array([0, -100, 2, 1])
    per = losses.CrossEntropy(reduction="none").forward(Z, y)
    assert per.shape == (4,) and per[1] == 0.0
    assert per.sum() / 3 == pytest.approx(losses.CrossEntropy().forward(Z, y))
    allign = losses.CrossEntropy(reduction="none")
    np.testing.assert_array_equal(allign.forward(Z, np.full(4, -100)), np.zeros(4))
    np.testing.assert_array_equal(allign.backward(), np.zeros((4, 3)))
    seq = losses.NLL(reduction="none").forward(np.log(np.full((2, 5, 3), 1 / 3)), np.zeros((2, 5), int))
    np.testing.assert_allclose(seq, np.full((2, 5), math.log(3)))
    X32 = np.ones((2, 3), np.float32)
    for loss in (losses.MSE(reduction="none"), losses.BCEWithLogits(reduction="none"), losses.L1(reduction="none")):
        out = loss.forward(X32, np.zeros((2, 3), np.float32))
        assert out.shape == (2, 3) and out.dtype == np.float32
        assert loss.backward().dtype == np.float32


@pytest.mark.parametrize("loss,inputs,target", [
    (losses.L1(), np.arange(6.0).reshape(3, 2), np.ones((3, 2)) * 0.5),
    (losses.SmoothL1(beta=0.5), np.arange(6.0).reshape(3, 2) * 0.3, np.ones((3, 2)) * 0.1),
    (losses.KLDiv(reduction="batchmean"), np.log(np.full((3, 2), 0.5)), np.array([[0.3, 0.7], [0.5, 0.5], [0.9, 0.1]])),
    (losses.GaussianNLL(), (np.ones((3, 2)), np.array([1.0, 2.0, 3.0])), np.zeros((3, 2))),
    (losses.MarginRanking(margin=0.5), (np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.0, 1.0])), np.array([1, -1, 1])),
    (losses.TripletMargin(swap=True), (np.eye(3), np.eye(3)[::-1] * 2, np.ones((3, 3))), None),
    (losses.MultiMargin(p=2), np.array([[1.0, 0.3, 0.2], [0.0, 0.5, 0.1], [0.4, 0.2, 0.9]]), np.array([0, 1, 1])),
], ids=repr)
def test_check_loss_passes_for_the_losses(loss, inputs, target):
    assert losses.check_loss(loss, inputs, target).ok


class _NoScale(losses.L1):
    """Negative control: L1 whose backward forgets the 1/n of the mean."""

    def backward(self):
        return np.sign(self._D)


class _SwappedTriplet(losses.TripletMargin):
    """Negative control: TripletMargin returning its gradients in the wrong order."""

    def backward(self):
        da, dp, dn = super().backward()
        return da, dn, dp


class _FrozenNone(losses.MSE):
    """Negative control: reduction='none' whose backward keeps the 1/n of the mean."""

    def backward(self):
        return self._D * (2.0 / self._D.size)


@pytest.mark.parametrize("bad,inputs,target", [
    (_NoScale(), np.arange(6.0).reshape(3, 2), np.ones((3, 2)) * 0.5),
    (_SwappedTriplet(), (np.eye(3), np.eye(3)[::-1] * 2, np.ones((3, 3))), None),
    (_FrozenNone(reduction="none"), np.arange(6.0).reshape(3, 2), np.zeros((3, 2))),
], ids=lambda v: type(v).__name__ if isinstance(v, losses.Loss) else "")
def test_a_wrong_backward_fails_gradcheck_and_check_loss(bad, inputs, target):
    with pytest.raises(GradcheckError):
        losses.gradcheck_loss(bad, inputs, target)
    with pytest.raises(losses.LossCheckError, match="gradcheck"):
        losses.check_loss(bad, inputs, target)


def test_check_loss_names_what_breaks_the_contract():
    class Mutating(losses.MSE):
        def forward(self, pred, target):
            v = super().forward(pred, target)
            pred *= 1.0                                     # harmless, but ...
            target[...] = 0.0                               # ... this changes the caller's array
            return v
    with pytest.raises(losses.LossCheckError, match="inputs kept"):
        losses.check_loss(Mutating(), np.ones((3, 2)), np.zeros((3, 2)) + 0.5)
    with pytest.raises(ValueError, match="give inputs as a tuple"):
        losses.check_loss(losses.TripletMargin(), np.ones((3, 2)))


def test_losses_with_several_predictions_say_how_they_are_called():
    assert losses.TripletMargin.arguments() == ("anchor", "positive", "negative")
    assert losses.GaussianNLL.predictions == ("mean", "var")
    args = losses.GaussianNLL.call_arguments(["mu", "var"], "t")
    assert args == ["mu", "t", "var"]
    with pytest.raises(ValueError, match="takes no target"):
        losses.TripletMargin.call_arguments([1, 2, 3], "t")
    with pytest.raises(ValueError, match=r"takes 2 prediction\(s\) \(x1, x2\), got 1"):
        losses.MarginRanking.call_arguments([1], "y")


@pytest.mark.parametrize("name", ["L1", "SmoothL1", "Huber", "KLDiv", "PoissonNLL", "GaussianNLL", "MarginRanking",
                                  "CosineEmbedding", "TripletMargin", "MultiMargin"])
def test_registered_with_pytorch_aliases_and_specs_round_trip(name):
    cls = losses.LOSSES.get(name)
    assert losses.LOSSES.get(name + "Loss") is cls
    loss = cls(reduction="sum")
    spec = loss.spec()
    assert spec == {name: {"reduction": "sum"}}
    assert repr(losses.LOSSES.get(name)(**spec[name])) == repr(loss)
