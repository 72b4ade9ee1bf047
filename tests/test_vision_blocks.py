"""GroupNorm, Dropout2d, PReLU, SiLU, Mish and Hardtanh: values by hand, edge
cases (extreme inputs, zeros, a batch of 1), errors, the layer contract and a
wrong backward as negative control for each."""
import math

import numpy as np
import pytest

from kubik import layers, nets
from kubik.layers import Dropout2d, GroupNorm, Hardtanh, Mish, PReLU, SiLU
from kubik.layers.testing import check_layer


def test_group_norm_by_hand():
    gn = GroupNorm(2, 4, eps=0.0 + 1e-12, dtype=np.float64)
    X = np.array([[1.0, 3.0, 10.0, 10.0]])          # groups {1, 3} and {10, 10}
    Y = gn.forward(X)
    np.testing.assert_allclose(Y, [[-1.0, 1.0, 0.0, 0.0]], atol=1e-6)   # mean 2, std 1; a constant group -> 0
    gn.weight.data[...] = [2, 2, 1, 1]
    gn.bias.data[...] = [0, 1, 5, 5]
    np.testing.assert_allclose(gn.forward(X), [[-2.0, 3.0, 5.0, 5.0]], atol=1e-6)
    # G = x̂ on the first group: dγ = Σ G x̂ = 2, dβ = Σ G; dX = γ/s (G − mean G − x̂ mean(G x̂)) = 0
    dX = gn.backward(np.array([[-1.0, 1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(gn.weight.grad, [1, 1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(gn.bias.grad, [-1, 1, 0, 0])
    np.testing.assert_allclose(dX, 0, atol=1e-6)


def test_group_norm_equals_layer_norm_and_instance_norm_at_the_ends():
    X = np.random.default_rng(0).standard_normal((3, 4, 2, 5))
    one = GroupNorm(1, 4, affine=False, dtype=np.float64).forward(X)
    np.testing.assert_allclose(one, layers.LayerNorm((4, 2, 5), elementwise_affine=False).forward(X), atol=1e-12)
    per = GroupNorm(4, 4, affine=False, dtype=np.float64).forward(X).reshape(3, 4, -1)
    np.testing.assert_allclose(per.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(per.var(-1), 1, atol=1e-4)       # eps = 1e-5 takes a little
    # batch of 1, eval mode and train mode agree (no running statistics)
    gn = GroupNorm(2, 4, dtype=np.float64)
    np.testing.assert_allclose(gn.eval().forward(X[:1]), gn.train().forward(X)[:1])
    assert np.all(np.isfinite(gn.forward(np.zeros((1, 4, 3)))))


def test_group_norm_errors():
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        GroupNorm(4, 6)
    with pytest.raises(ValueError, match="num_groups must be a positive int"):
        GroupNorm(0, 6)
    with pytest.raises(ValueError, match=r"GroupNorm.*expected input of shape \(N, 4, \.\.\.\), got \(2, 3, 5\)"):
        GroupNorm(2, 4).forward(np.zeros((2, 3, 5), np.float32))
    assert GroupNorm.infer_args((8, 4, 4)) == {"num_channels": 8}


def test_dropout2d_drops_whole_channels():
    d = Dropout2d(0.5, rng=0)
    X = np.ones((64, 8, 3, 3), np.float32)
    Y = d.forward(X)
    per_channel = Y.reshape(64, 8, -1)
    assert Y.dtype == np.float32
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))   # all or nothing, kept ones scaled 1/(1-p)
    assert 0.4 < (per_channel[..., 0] == 0).mean() < 0.6
    dX = d.backward(np.full_like(Y, 3.0))
    np.testing.assert_array_equal(dX, 3.0 * Y)                                  # the same mask
    np.testing.assert_array_equal(d.eval().forward(X), X)
    assert np.all(Dropout2d(1.0).forward(X) == 0) and np.array_equal(Dropout2d(0.0).forward(X), X)
    with pytest.raises(ValueError, match=r"Dropout2d.*\(N, C, H, W\)"):
        Dropout2d(0.5).forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Dropout2d: p must be a probability"):
        Dropout2d(1.5)
    with pytest.raises(ValueError, match=r"grad_Y has shape"):
        d.train().forward(X)
        d.backward(np.ones((64, 8, 3, 4)))


def test_prelu_by_hand():
    p = PReLU(dtype=np.float64)
    X = np.array([[-2.0, -0.5, 0.0, 3.0]])
    np.testing.assert_allclose(p.forward(X), [[-0.5, -0.125, 0.0, 3.0]])       # init 0.25
    dX = p.backward(np.ones_like(X))
    np.testing.assert_allclose(dX, [[0.25, 0.25, 0.25, 1.0]])
    np.testing.assert_allclose(p.weight.grad, [-2.5])                          # Σ G ⊙ min(X, 0)
    per = PReLU(2, init=0.1, dtype=np.float64)
    per.weight.data[...] = [0.1, 0.5]
    Xc = np.array([[[-1.0, 1.0], [-2.0, 2.0]]])                                # (N, C=2, L=2)
    np.testing.assert_allclose(per.forward(Xc), [[[-0.1, 1.0], [-1.0, 2.0]]])
    per.backward(np.ones_like(Xc))
    np.testing.assert_allclose(per.weight.grad, [-1.0, -2.0])
    with pytest.raises(ValueError, match=r"PReLU.*\(N, 2, \.\.\.\) \(one slope per channel\)"):
        per.forward(np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="num_parameters must be a positive int"):
        PReLU(0)


def test_silu_mish_hardtanh_by_hand_and_extremes():
    X = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]])
    s = 1 / (1 + math.e ** -1)                                                # σ(1); σ(−1) = 1 − s
    np.testing.assert_allclose(SiLU().forward(X), [[0.0, -(1 - s), 0.0, s, 1000.0]], atol=1e-12)
    sp1 = math.log1p(math.e)
    mish = Mish()
    np.testing.assert_allclose(mish.forward(X), [[0.0, -math.tanh(math.log1p(math.exp(-1))), 0.0, math.tanh(sp1), 1000.0]],
                               atol=1e-12)
    d = mish.backward(np.ones_like(X))
    assert np.all(np.isfinite(d)) and d[0, 0] == pytest.approx(0.0) and d[0, 4] == pytest.approx(1.0)
    np.testing.assert_allclose(d[0, 2], 0.6, atol=1e-12)                     # tanh(log 2) = 0.6 at X = 0
    silu = SiLU()
    silu.forward(X)
    np.testing.assert_allclose(silu.backward(np.ones_like(X))[0, [0, 2, 4]], [0.0, 0.5, 1.0], atol=1e-12)
    h = Hardtanh(-0.5, 2.0)
    np.testing.assert_allclose(h.forward(X), [[-0.5, -0.5, 0.0, 1.0, 2.0]])
    np.testing.assert_allclose(h.backward(np.ones_like(X)), [[0, 0, 1, 1, 0]])
    h.forward(np.array([[-0.5, 2.0]]))                                        # at the bounds: no gradient (PyTorch)
    np.testing.assert_allclose(h.backward(np.ones((1, 2))), [[0, 0]])
    assert SiLU().forward(np.float32([[1.0]])).dtype == np.float32 and Mish().forward(np.float32([[1.0]])).dtype == np.float32
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(1.0\) must be greater than min_val \(1.0\)"):
        Hardtanh(1.0, 1.0)


class WrongMish(Mish):
    """Negative control: the gate's derivative left out (dX = G ⊙ tanh(softplus(X)))."""

    def forward(self, X):
        Y = super().forward(X)
        self._D = Y / np.where(X == 0, 1, X)
        return Y


class WrongGroupNorm(GroupNorm):
    """Negative control: backward treats the statistics as constants (dX = G γ / s)."""

    def backward(self, G):
        super().backward(G)
        inv, shape = self._cached("_inv", "_shape")
        Gg = (G.reshape(shape[0], self.num_channels, -1) * self.weight.data[:, None]).reshape(inv.shape[0], -1)
        return (Gg * inv).reshape(shape)


class WrongPReLU(PReLU):
    """Negative control: the slope's gradient summed over positive inputs too."""

    def backward(self, G):
        dX = super().backward(G)
        self.weight.grad += G.sum()
        return dX


class WrongSiLU(SiLU):
    """Negative control: dX = G ⊙ σ(X), the gate alone."""

    def forward(self, X):
        Y = super().forward(X)
        self._D = 0.5 + 0.5 * np.tanh(X * 0.5)
        return Y


class WrongHardtanh(Hardtanh):
    """Negative control: the gradient passed through the clipped region too."""

    def forward(self, X):
        Y = super().forward(X)
        self._D = np.ones_like(X)
        return Y


class WrongDropout2d(Dropout2d):
    """Negative control: backward forgets the 1/(1 − p) scaling."""

    def backward(self, G):
        return super().backward(G) * (1 - self.p)


class WrongConvTranspose1d(layers.ConvTranspose1d):
    """Negative control: the bias gradient counted twice."""

    def backward(self, G):
        dX = super().backward(G)
        self.bias.grad *= 2
        return dX


@pytest.mark.parametrize("wrong,right,X", [
    (WrongMish(), Mish(), np.random.default_rng(0).standard_normal((3, 4)) * 2),
    (WrongSiLU(), SiLU(), np.random.default_rng(3).standard_normal((3, 4)) * 2),
    (WrongHardtanh(), Hardtanh(), np.random.default_rng(4).uniform(0.2, 0.8, (3, 4)) * np.array([-3, 3, 1, -1])),
    (WrongDropout2d(0.5, rng=0), Dropout2d(0.5, rng=0), np.random.default_rng(5).standard_normal((4, 3, 2, 2))),
    (WrongConvTranspose1d(2, 3, 3, stride=2, rng=0), layers.ConvTranspose1d(2, 3, 3, stride=2, rng=0),
     np.random.default_rng(6).standard_normal((2, 2, 4))),
    (WrongGroupNorm(2, 4), GroupNorm(2, 4), np.random.default_rng(1).standard_normal((2, 4, 3))),
    (WrongPReLU(3), PReLU(3), np.random.default_rng(2).standard_normal((2, 3, 4)) + 0.05)])
def test_negative_controls(wrong, right, X):
    assert layers.gradcheck(right, X).ok
    with pytest.raises(layers.GradcheckError):
        layers.gradcheck(wrong, X)


@pytest.mark.parametrize("layer,shape", [(GroupNorm(2, 4), (2, 4, 3, 3)), (GroupNorm(3, 6), (3, 6)),
                                         (Dropout2d(0.3, rng=0), (3, 2, 2, 2)), (PReLU(), (2, 5)),
                                         (PReLU(3), (2, 3, 4)), (SiLU(), (2, 5)), (Mish(), (2, 3, 2)),
                                         (Hardtanh(), (3, 4))])
def test_layer_contract(layer, shape):
    check_layer(layer, shape)


def test_config_entries_build_with_inferred_shapes():
    from kubik.nets.builders import build_model
    model = [{"Conv2d": {"out_channels": 4, "kernel_size": 3, "padding": 1}}, {"GroupNorm": {"num_groups": 2}},
             {"PReLU": {"num_parameters": 4}}, {"Dropout2d": {"p": 0.1}}, "SiLU",
             {"ConvTranspose2d": {"out_channels": 2, "kernel_size": 2, "stride": 2}}, "Mish",
             {"Upsample": {"scale_factor": 0.5, "mode": "bilinear"}}, {"ZeroPad2d": {"padding": 1}},
             {"Hardtanh": {"min_val": -2, "max_val": 2}}]
    layers.seed(0)
    net, rows, out = build_model(model, (1, 6, 6))
    assert out == (2, 8, 8)
    assert isinstance(net, nets.Sequential) and net[1].num_channels == 4 and net[5].in_channels == 4
