"""Plain SGD updates all parameters through one flat view (Torch7's
getParameters); it must give exactly the per-parameter result and fall back
whenever the view no longer holds."""
import numpy as np

from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim


def run(steps, flat=True, wd=0.0, freeze_at=None):
    layers.seed(0)
    net = nets.Sequential(layers.Linear(3, 5), layers.Tanh(), layers.Linear(5, 2))
    opt = optim.SGD(net.parameters(), lr=0.1, weight_decay=wd)
    if not flat:
        opt._flat = None
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


def test_parameters_view_one_flat_buffer():
    net, opt = run(0)
    flat = opt._flat.param.data
    assert all(p.data.base is flat for p in net.parameters())
    assert opt._flat.intact()


def test_flat_update_is_bit_identical_to_per_parameter_update():
    for wd in (0.0, 1e-2):
        a, _ = run(15, flat=True, wd=wd)
        b, _ = run(15, flat=False, wd=wd)
        for p, q in zip(a.parameters(), b.parameters()):
            np.testing.assert_array_equal(p.data, q.data)


def test_freezing_falls_back_and_keeps_the_frozen_parameter():
    net, opt = run(5, freeze_at=2)
    ref, _ = run(2)
    np.testing.assert_array_equal(net[0].weight.data, ref[0].weight.data)
    assert not opt._flat.intact()


def test_pending_zero_gradients_are_not_applied_stale():
    lin = layers.Linear(2, 2, rng=0)
    extra = layers.Linear(2, 2, rng=1)
    opt = optim.SGD(lin.parameters() + extra.parameters(), lr=1.0)
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
    opt = optim.SGD(lin.parameters(), lr=1.0)
    lin.astype(np.float64)                        # re-binds data and grad
    lin.forward(np.ones((1, 2)))
    lin.backward(np.ones((1, 1)))
    w = lin.weight.data.copy()
    opt.step()
    np.testing.assert_allclose(lin.weight.data, w - 1.0)
