"""Every optimizer minimizes an ill-conditioned quadratic and trains a small
net on XOR; with a schedule and clipping in the loop too."""
import numpy as np
import pytest

from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim
from kubik.layers import Parameter

# lr and steps tuned per optimizer; each reaches its target with margin
QUADRATIC = {
    "SGD": (dict(lr=0.09, momentum=0.9), 300),
    "SGD-nesterov": (dict(lr=0.04, momentum=0.9, nesterov=True), 300),
    "Adam": (dict(lr=0.1), 400),
    "AdamW": (dict(lr=0.1, weight_decay=0.0), 400),
    "RMSprop": (dict(lr=0.01, centered=True, momentum=0.5), 400),
    "Adagrad": (dict(lr=1.0), 400),
}


@pytest.mark.parametrize("key", list(QUADRATIC))
def test_quadratic_converges(key):
    """f(θ) = ½ θᵀAθ − bᵀθ, A = diag(1, 20): minimum at θ* = A⁻¹b."""
    kwargs, steps = QUADRATIC[key]
    A, b = np.array([1.0, 20.0]), np.array([1.0, -2.0])
    p = Parameter(np.array([5.0, 5.0], np.float32))
    opt = optim.OPTIMIZERS.get(key.split("-")[0])([p], **kwargs)
    for _ in range(steps):
        p.grad[...] = A * p.data - b
        opt.step()
    np.testing.assert_allclose(p.data, b / A, atol=2e-3)
    assert p.data.dtype == np.float32


XOR = {
    "SGD": dict(lr=0.5, momentum=0.9),
    "Adam": dict(lr=0.05),
    "AdamW": dict(lr=0.05, weight_decay=1e-4),
    "RMSprop": dict(lr=0.01),
    "Adagrad": dict(lr=0.3),
}


@pytest.mark.parametrize("name", list(XOR))
def test_xor_net_trains(name):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    Y = np.array([[0], [1], [1], [0]], np.float32)
    net = nets.Sequential(layers.Linear(2, 8, rng=3), layers.Tanh(), layers.Linear(8, 1, rng=4))
    opt = optim.OPTIMIZERS.get(name)(optim.param_groups_no_decay(net), **XOR[name])
    sched = optim.LinearWarmup(opt, warmup_steps=20, start_factor=0.1, after=optim.CosineAnnealingLR(opt, T_max=480))
    loss = losses.MSE()
    first = None
    for _ in range(500):
        opt.zero_grad()
        value = loss.forward(net(X), Y)
        first = value if first is None else first
        net.backward(loss.backward())
        optim.clip_grad_norm(net, 5.0)
        opt.step()
        sched.step()
    assert value < 0.01 < first
    np.testing.assert_array_equal(net(X) > 0.5, Y > 0.5)
