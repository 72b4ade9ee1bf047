"""net.flatten_parameters() (Torch7's getParameters) and the fused optimizer
updates over it: every optimizer must give bit-identical results with and
without the flat buffer, keep per-parameter state_dicts, fall back whenever the
layout no longer holds, and never rebind a parameter's arrays itself."""
import numpy as np
import pytest

from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim

pytestmark = pytest.mark.usefixtures("backend")  # every test on the numpy and the numba path

CASES = {
    "sgd": (optim.SGD, dict(lr=0.1)),
    "sgd_momentum_wd": (optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=1e-2)),
    "sgd_nesterov": (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_dampening": (optim.SGD, dict(lr=0.1, momentum=0.5, dampening=0.3)),
    "adam": (optim.Adam, dict(lr=0.01, weight_decay=1e-3)),
    "adam_amsgrad": (optim.Adam, dict(lr=0.01, amsgrad=True)),
    "adamw": (optim.AdamW, dict(lr=0.01)),
    "rmsprop": (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=1e-3)),
    "adagrad": (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
}


def make_net():
    layers.seed(0)
    return nets.Sequential(layers.Linear(3, 5), layers.Tanh(), layers.Linear(5, 2))


def train(net, opt, steps, freeze_at=None):
    X = np.random.default_rng(1).standard_normal((8, 3)).astype(np.float32)
    y = np.arange(8) % 2
    loss = losses.CrossEntropy()
    for i in range(steps):
        if i == freeze_at:
            net[0].weight.requires_grad = False
        opt.zero_grad()
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        opt.step()
    return net, opt


def run(name, steps, flat=True, **kw):
    cls, args = CASES[name]
    net = make_net()
    if flat:
        net.flatten_parameters()
    return train(net, cls(net.parameters(), **args), steps, **kw)


def test_flatten_parameters_views_one_buffer_and_keeps_values():
    net = make_net()
    before = [p.data.copy() for p in net.parameters()]
    W, dW = net.flatten_parameters()
    assert W.shape == dW.shape == (3 * 5 + 5 + 5 * 2 + 2,) and W.dtype == np.float32
    assert all(p.data.base is W and p.grad.base is dW for p in net.parameters())
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    np.testing.assert_array_equal(W[:15], before[0].ravel())
    W[0] = 42.0                                   # the flat array IS the weights
    assert net[0].weight.data.flat[0] == 42.0


def test_flatten_parameters_refuses_mixed_dtypes():
    net = make_net()
    net[2].astype(np.float64)
    with pytest.raises(TypeError, match="Sequential.flatten_parameters.*one dtype"):
        net.flatten_parameters()


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_update_is_bit_identical_to_per_parameter_update(name):
    a, oa = run(name, 12, flat=True)
    b, ob = run(name, 12, flat=False)
    assert any(type(x).__name__ == "Run" for x in oa._plan)      # the fused path was taken
    assert not any(type(x).__name__ == "Run" for x in ob._plan)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    sa, sb = oa.state_dict(), ob.state_dict()
    assert sorted(sa["state"]) == sorted(sb["state"])
    for i in sa["state"]:
        assert sorted(sa["state"][i]) == sorted(sb["state"][i])
        for k, v in sa["state"][i].items():
            np.testing.assert_array_equal(v, sb["state"][i][k])
            assert np.shape(v) == np.shape(sb["state"][i][k])


@pytest.mark.parametrize("name", ["sgd_momentum_wd", "adam", "rmsprop"])
def test_load_state_dict_into_a_flat_net_resumes_exactly(name):
    a, oa = run(name, 10, flat=True)
    b, ob = run(name, 4, flat=True)
    b.load_state_dict(a.state_dict())
    ob.load_state_dict(oa.state_dict())
    train(a, oa, 3)
    train(b, ob, 3)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_creating_an_optimizer_never_rebinds_arrays():
    net = make_net()
    W = net[0].weight.data
    G = net[0].weight.grad
    for cls, args in CASES.values():
        opt = cls(net.parameters(), **args)
        train(net, opt, 2)
        assert net[0].weight.data is W and net[0].weight.grad is G


def test_freezing_falls_back_and_keeps_the_frozen_parameter():
    net, opt = run("sgd_momentum_wd", 5, freeze_at=2)
    ref, _ = run("sgd_momentum_wd", 2)
    np.testing.assert_array_equal(net[0].weight.data, ref[0].weight.data)
    other, _ = run("sgd_momentum_wd", 5, flat=False, freeze_at=2)
    for p, q in zip(net.parameters(), other.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_pending_zero_gradients_are_not_applied_stale():
    lin = layers.Linear(2, 2, rng=0)
    extra = layers.Linear(2, 2, rng=1)
    both = nets.Sequential(lin, extra)
    both.flatten_parameters()
    opt = optim.SGD(both.parameters(), lr=1.0, momentum=0.9)
    extra.forward(np.ones((1, 2), np.float32))
    extra.backward(np.ones((1, 2), np.float32))  # a gradient from before zero_grad
    before = extra.weight.data.copy()
    opt.zero_grad()
    lin.forward(np.ones((1, 2), np.float32))
    lin.backward(np.ones((1, 2), np.float32))
    opt.step()
    np.testing.assert_array_equal(extra.weight.data, before)


def test_rebinding_after_construction_still_updates_the_layer():
    lin = layers.Linear(2, 1, rng=0)
    lin.flatten_parameters()
    opt = optim.SGD(lin.parameters(), lr=1.0)
    opt.step()
    lin.astype(np.float64)                        # re-binds data and grad
    lin.forward(np.ones((1, 2)))
    lin.backward(np.ones((1, 1)))
    w = lin.weight.data.copy()
    opt.step()
    np.testing.assert_allclose(lin.weight.data, w - 1.0)


def test_no_decay_groups_fuse_where_contiguous():
    net = make_net()
    net.flatten_parameters()
    groups = optim.param_groups_no_decay(net)
    opt = optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=0.1)
    train(net, opt, 3)
    ref = make_net()
    train(ref, optim.SGD(optim.param_groups_no_decay(ref), lr=0.1, momentum=0.9, weight_decay=0.1), 3)
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
