"""Gradient clipping (by global norm, by value) and gradient accumulation."""
import copy
import math

import numpy as np
import pytest

from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim
from kubik.layers import Parameter


def three_params(dtype=np.float64):
    a = Parameter(np.zeros(2, dtype)); a.grad[...] = [3.0, 4.0]
    b = Parameter(np.zeros((1, 1), dtype)); b.grad[...] = 12.0
    c = Parameter(np.zeros(3, dtype)); c.grad[...] = [0.0, -1.0, 0.5]
    c.requires_grad = False                     # frozen: ignored, as torch ignores grad=None
    return a, b, c


@pytest.mark.parametrize("norm_type, total", [(2.0, 13.0), (1, 19.0), (math.inf, 12.0), ("inf", 12.0),
                                              (3.0, (27 + 64 + 1728) ** (1 / 3))])
def test_clip_grad_norm_total_and_scaling(norm_type, total):
    a, b, c = three_params()
    got = optim.clip_grad_norm([a, b, c], max_norm=6.5, norm_type=norm_type)
    assert isinstance(got, float) and got == pytest.approx(total, rel=1e-14)
    coef = 6.5 / (total + 1e-6)                 # torch's formula, 1e-6 included
    np.testing.assert_allclose(a.grad, [3.0 * coef, 4.0 * coef], rtol=1e-14)
    np.testing.assert_allclose(b.grad, [[12.0 * coef]], rtol=1e-14)
    np.testing.assert_array_equal(c.grad, [0.0, -1.0, 0.5])


@pytest.mark.parametrize("norm_type, total", [(math.inf, 20.0), (1, 35.0), (2.0, math.sqrt(9 + 400 + 144)),
                                              (3.0, (27 + 8000 + 1728) ** (1 / 3))])
def test_clip_grad_norm_uses_magnitudes_when_the_largest_entry_is_negative(norm_type, total):
    """The inf-norm is max |g|, not max g: here the largest magnitude, -20, is negative
    (max g would give 12); the other norms take |g| too."""
    a, b, c = three_params()
    a.grad[...] = [3.0, -20.0]
    got = optim.clip_grad_norm([a, b, c], max_norm=5.0, norm_type=norm_type)
    assert got == pytest.approx(total, rel=1e-14)
    coef = 5.0 / (total + 1e-6)
    np.testing.assert_allclose(a.grad, [3.0 * coef, -20.0 * coef], rtol=1e-14)
    np.testing.assert_allclose(b.grad, [[12.0 * coef]], rtol=1e-14)


def test_clip_grad_norm_leaves_small_gradients_alone_and_keeps_float32():
    a, b, _ = three_params(np.float32)
    before = [a.grad.copy(), b.grad.copy()]
    assert optim.clip_grad_norm([a, b], max_norm=13.5) == pytest.approx(13.0, rel=1e-7)
    np.testing.assert_array_equal(a.grad, before[0])   # coefficient min(1, 13.5/13) = 1
    np.testing.assert_array_equal(b.grad, before[1])
    optim.clip_grad_norm([a, b], max_norm=1.0)
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32
    assert math.sqrt(float((a.grad ** 2).sum() + (b.grad ** 2).sum())) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_accepts_a_layer_and_groups():
    net = nets.Sequential(layers.Linear(3, 2, rng=0))
    for p in net.parameters():
        p.grad[...] = 1.0                       # 6 + 2 ones: norm √8
    assert optim.clip_grad_norm(net, 1.0) == pytest.approx(math.sqrt(8), rel=1e-6)
    assert optim.clip_grad_norm([{"params": net.parameters()}], 10.0) == pytest.approx(1.0, rel=1e-5)
    assert optim.clip_grad_norm([], 1.0) == 0.0


def test_clip_grad_norm_nonfinite():
    a, b, _ = three_params()
    b.grad[...] = np.nan
    with pytest.raises(ValueError, match="clip_grad_norm: the total gradient norm is nan"):
        optim.clip_grad_norm([a, b], 1.0, error_if_nonfinite=True)
    assert math.isnan(optim.clip_grad_norm([a, b], 1.0))
    assert np.isnan(a.grad).all()               # as torch: nan propagates


@pytest.mark.parametrize("kwargs, pattern", [(dict(max_norm=-1.0), "max_norm"), (dict(max_norm=1.0, norm_type=0), "norm_type"),
                                             (dict(max_norm=1.0, norm_type="two"), "norm_type")])
def test_clip_grad_norm_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=f"clip_grad_norm: {pattern}"):
        optim.clip_grad_norm([Parameter(np.zeros(2))], **kwargs)


def test_clip_grad_value():
    a, b, c = three_params()
    optim.clip_grad_value([a, b, c], 3.5)
    np.testing.assert_array_equal(a.grad, [3.0, 3.5])
    np.testing.assert_array_equal(b.grad, [[3.5]])
    np.testing.assert_array_equal(c.grad, [0.0, -1.0, 0.5])
    a.grad[...] = [-10.0, 0.25]
    optim.clip_grad_value(a, 0.5)
    np.testing.assert_array_equal(a.grad, [-0.5, 0.25])
    with pytest.raises(ValueError, match="clip_grad_value: clip_value"):
        optim.clip_grad_value([a], -1.0)


# -- accumulation ------------------------------------------------------------------------------
def small_net():
    net = nets.Sequential(layers.Linear(3, 5, rng=1), layers.Tanh(), layers.Linear(5, 2, rng=2))
    return net.astype(np.float64)


def batch(n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)), rng.standard_normal((n, 2))


def backward(net, loss, X, Y):
    loss.forward(net(X), Y)
    net.backward(loss.backward())


@pytest.mark.parametrize("make_opt, max_norm", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), None),
    (lambda ps: optim.Adam(ps, lr=0.01), None),
    (lambda ps: optim.SGD(ps, lr=0.5), 0.05),
])
def test_accumulating_k_micro_batches_equals_one_big_batch(make_opt, max_norm):
    big, small = small_net(), small_net()
    opt_big, opt_small = make_opt(big.parameters()), make_opt(small.parameters())
    acc = optim.GradientAccumulator(opt_small, steps=4, max_norm=max_norm)
    loss = losses.MSE()
    for update in range(3):
        X, Y = batch(8, update)
        opt_big.zero_grad()
        backward(big, loss, X, Y)
        if max_norm is not None:
            optim.clip_grad_norm(big.parameters(), max_norm)
        opt_big.step()
        stepped = [None] * 4
        for i in range(4):
            backward(small, loss, X[2 * i:2 * i + 2], Y[2 * i:2 * i + 2])
            stepped[i] = acc.step()
        assert stepped == [False, False, False, True] and acc.pending == 0
        for p, q in zip(big.parameters(), small.parameters()):
            np.testing.assert_allclose(q.data, p.data, rtol=1e-12, atol=1e-14)
    assert all(not p.grad.any() for p in small.parameters())   # zeroed after the step


def test_flush_uses_the_micro_batches_seen():
    big, small = small_net(), small_net()
    opt_big, opt_small = optim.SGD(big.parameters(), lr=0.3), optim.SGD(small.parameters(), lr=0.3)
    acc = optim.GradientAccumulator(opt_small, steps=4)
    loss = losses.MSE()
    X, Y = batch(6, 7)
    backward(big, loss, X, Y)
    opt_big.step()
    for i in range(3):
        backward(small, loss, X[2 * i:2 * i + 2], Y[2 * i:2 * i + 2])
        assert not acc.step()
    assert acc.flush() and not acc.flush()
    for p, q in zip(big.parameters(), small.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-12, atol=1e-14)


def test_without_scaling_accumulated_gradients_are_k_times_too_big():
    """The negative control: plain accumulation sums, it does not average."""
    net = small_net()
    loss = losses.MSE()
    X, Y = batch(8, 0)
    backward(net, loss, X, Y)
    full = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    for i in range(4):
        backward(net, loss, X[2 * i:2 * i + 2], Y[2 * i:2 * i + 2])
    for g, p in zip(full, net.parameters()):
        np.testing.assert_allclose(p.grad, 4 * g, rtol=1e-12, atol=1e-14)


def test_accumulator_arguments():
    opt = optim.SGD([Parameter(np.zeros(1))])
    with pytest.raises(ValueError, match="GradientAccumulator: steps"):
        optim.GradientAccumulator(opt, steps=0)
    with pytest.raises(ValueError, match="GradientAccumulator: max_norm"):
        optim.GradientAccumulator(opt, steps=2, max_norm=-1)
    acc = optim.GradientAccumulator(opt, steps=1)
    assert acc.step() and opt.step_count == 1
    assert repr(optim.GradientAccumulator(opt, 3, max_norm=1.0)) == "GradientAccumulator(steps=3, max_norm=1.0)"
