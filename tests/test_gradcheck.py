"""The gradient checker itself: it passes correct layers, fails wrong ones
(the negative controls), reports the worst element and skips kinks."""
import numpy as np
import pytest

from kubik import layers
from kubik import losses
from kubik.layers import GradcheckError, Layer, Linear


class WrongLinear(Linear):
    """Linear with a deliberately wrong weight gradient (missing transpose)."""

    def backward(self, G):
        dX = super().backward(G)
        self.weight.grad *= 1.5  # wrong by a factor
        return dX


class WrongInputGrad(Layer):
    """Y = X², but backward forgets the factor 2."""

    def forward(self, X):
        self._X = X
        return X * X

    def backward(self, G):
        return G * self._cached("_X")


class WrongLoss(losses.MSE):
    def backward(self):
        return super().backward() * 0.5


def X(*shape):
    return np.random.default_rng(0).standard_normal(shape)


def test_negative_control_wrong_parameter_gradient_fails():
    with pytest.raises(GradcheckError, match=r"at weight\["):
        layers.gradcheck(WrongLinear(4, 3, rng=0), X(2, 4))


def test_negative_control_wrong_input_gradient_fails_and_reports_worst_element():
    with pytest.raises(GradcheckError) as e:
        layers.gradcheck(WrongInputGrad(), X(3, 4))
    msg = str(e.value)
    assert "input[" in msg and "analytic" in msg and "numeric" in msg
    # the worst element is the one with the largest |x|: analytic x*r vs numeric 2*x*r
    result = layers.gradcheck(WrongInputGrad(), X(3, 4), raise_on_fail=False)
    assert not result.ok and result.worst_error > 0.3
    assert result.numeric == pytest.approx(2 * result.analytic, rel=1e-6)


def test_negative_control_wrong_loss_gradient_fails():
    with pytest.raises(GradcheckError, match="pred"):
        losses.gradcheck_loss(WrongLoss(), X(3, 2), X(3, 2) + 1)


def test_result_reports_location_and_counts():
    r = layers.gradcheck(Linear(3, 2, rng=0), X(4, 3))
    assert r.ok and r.checked == 4 * 3 + 3 * 2 + 2 and r.skipped == 0
    assert r.worst_error < 1e-7
    assert r.where.split("[")[0] in {"input", "weight", "bias"}


def test_kinks_are_skipped_not_failed():
    Xk = X(3, 4)
    Xk[0, 0] = 1e-8  # ReLU kink within eps of this element
    r = layers.gradcheck(layers.ReLU(), Xk)
    assert r.ok and r.skipped == 1 and r.checked == 11


def test_layer_dtype_restored_and_input_untouched():
    lin = Linear(3, 2, rng=0)
    W = lin.weight.data.copy()
    inp = X(2, 3)
    before = inp.copy()
    layers.gradcheck(lin, inp)
    assert lin.weight.dtype == np.float32 and lin.weight.grad.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.data, W)
    np.testing.assert_array_equal(inp, before)


def test_dropout_sees_the_same_mask_every_forward():
    # with the package generator too (no explicit rng)
    layers.seed(1)
    r = layers.gradcheck(layers.Dropout(0.5), X(5, 6))
    assert r.ok and r.checked == 30
