"""The textbook's worked examples, and small networks that must learn."""
import numpy as np
import pytest

from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_one_sgd_step_of_logistic_regression_by_hand():
    # one object x = (1, 2), y = 1; w = (0.5, -0.25): z = 0, ŷ = 0.5,
    # ∇w = x (ŷ − y) = (−0.5, −1); w ← w − 0.1 ∇w = (0.55, −0.15)
    lin = layers.Linear(2, 1, bias=False)
    lin.weight.data[...] = [[0.5], [-0.25]]
    net = nets.Sequential(lin, layers.Sigmoid())
    loss, opt = losses.BCE(), optim.SGD(net.parameters(), lr=0.1)
    value = loss.forward(net.forward(np.array([[1.0, 2.0]], np.float32)), np.array([[1.0]], np.float32))
    assert value == pytest.approx(np.log(2))
    net.backward(loss.backward())
    np.testing.assert_allclose(lin.weight.grad, [[-0.5], [-1.0]], rtol=1e-6)
    opt.step()
    np.testing.assert_allclose(lin.weight.data, [[0.55], [-0.15]], rtol=1e-6)


def test_two_layer_sigmoid_network_matches_closed_form_backprop():
    rng = np.random.default_rng(0)
    X0 = rng.standard_normal((6, 3))
    y = (rng.random((6, 1)) > 0.5).astype(float)
    W1, W2 = rng.standard_normal((3, 4)), rng.standard_normal((4, 1))
    l1, l2 = layers.Linear(3, 4, bias=False), layers.Linear(4, 1, bias=False)
    net = nets.Sequential(l1, layers.Sigmoid(), l2, layers.Sigmoid()).astype(np.float64)
    l1.weight.data[...], l2.weight.data[...] = W1, W2
    loss = losses.BCE(reduction="sum")          # the log-loss summed over the objects
    loss.forward(net.forward(X0), y)
    net.backward(loss.backward())
    X1 = X0 @ W1
    X2 = sigmoid(X1)
    y_hat = sigmoid(X2 @ W2)
    grad_W2 = X2.T @ (y_hat - y)
    grad_W1 = X0.T @ (sigmoid(X1) * (1 - sigmoid(X1)) * ((y_hat - y) @ W2.T))
    np.testing.assert_allclose(l2.weight.grad, grad_W2, rtol=1e-9)
    np.testing.assert_allclose(l1.weight.grad, grad_W1, rtol=1e-9)


def train(net, X, y, loss, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        opt.step()
    net.eval()
    return (net.forward(X).argmax(1) == y).mean()


def test_xor_is_learned():
    layers.seed(0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([0, 1, 1, 0])
    net = nets.Sequential(layers.Linear(2, 8), layers.Tanh(), layers.Linear(8, 2))
    acc = train(net, X, y, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.5, momentum=0.9), 200)
    assert acc == 1.0


def two_spirals(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], 1) / (3 * np.pi)
    X = np.concatenate([arm, -arm]) + rng.normal(0, 0.01, (2 * n, 2))
    return X.astype(np.float32), np.repeat([0, 1], n)


def test_two_spirals_reach_99_percent_train_accuracy():
    layers.seed(1)
    X, y = two_spirals(150)
    net = nets.Sequential(layers.Linear(2, 64), layers.Tanh(), layers.Linear(64, 64), layers.Tanh(),
                          layers.Linear(64, 2))
    acc = train(net, X, y, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.2, momentum=0.9), 3000)
    assert acc >= 0.99
