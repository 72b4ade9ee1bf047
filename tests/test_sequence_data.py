"""Sequence data (digits as rows, adding, parity), the sequence configs, and
clip_grad_norm keeping an exploding RNN finite over 100 steps."""
import tempfile

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets import build as B
from kubik.nets import config as C
from kubik.nets.datasets import ADDING_BASELINE_MSE, adding, digits, parity, prepare
from kubik.nets.trainer import Trainer, evaluate


def test_digits_sequence_is_the_image_row_by_row():
    seq, img = digits(sequence=True), digits(image=True)
    assert seq.X.shape == (1797, 8, 8)
    np.testing.assert_array_equal(seq.X, img.X[:, 0])       # step t = pixel row t
    with pytest.raises(nets.ConfigError, match="sequence"):
        digits(image=True, sequence=True)


def test_adding_problem_by_construction_and_seeded():
    raw = adding(n_samples=500, length=10, rng=np.random.default_rng(0))
    assert raw.X.shape == (500, 10, 2) and raw.y.shape == (500, 1)
    marks = raw.X[:, :, 1]
    np.testing.assert_array_equal(marks.sum(1), 2)
    assert (marks[:, :5].sum(1) == 1).all()                   # one marker in each half
    np.testing.assert_allclose(raw.y[:, 0], (raw.X[:, :, 0] * marks).sum(1))
    again = adding(n_samples=500, length=10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(raw.X, again.X)
    big = adding(n_samples=20000, length=4, rng=np.random.default_rng(1))
    assert big.y.var() == pytest.approx(ADDING_BASELINE_MSE, rel=0.05)
    with pytest.raises(nets.ConfigError, match="length"):
        adding(length=1, rng=np.random.default_rng(0))


def test_parity():
    raw = parity(n_samples=50, length=6, rng=np.random.default_rng(0))
    assert raw.X.shape == (50, 6, 1)
    np.testing.assert_array_equal(raw.y, raw.X[:, :, 0].sum(1) % 2)
    data = prepare({"name": "parity", "length": 6, "seed": 3, "scale": "none"})
    assert data.num_classes == 2 and data.input_shape == (6, 1)


def _train(path, sets=()):
    cfg, _ = C.load(path, list(sets))
    exp = B.build(cfg)
    with tempfile.TemporaryDirectory() as run_dir:
        Trainer(exp, run_dir, progress=False, log=lambda *a: None).fit()
    return evaluate(exp, exp.data.X_test, exp.data.y_test)


def test_digits_lstm_config_reaches_95_percent():
    loss, accuracy = _train("configs/digits_lstm.yaml")
    assert accuracy >= 0.95


def test_lstm_solves_the_adding_problem_where_a_tanh_rnn_does_not():
    """configs/adding_lstm.yaml on a smaller budget (T = 25, 2000 samples, 10 epochs of
    batches of 32): the LSTM gets far below the baseline MSE Var(y) = 1/6, the tanh RNN
    of the same width stays at it (the gradient through 25 tanh steps vanishes)."""
    budget = ["data.length=25", "data.n_samples=2000", "train.epochs=10", "train.batch_size=32"]
    lstm, _ = _train("configs/adding_lstm.yaml", budget)
    rnn, _ = _train("configs/adding_lstm.yaml", budget + ["model[0]={RNN: {hidden_size: 32}}"])
    assert lstm < 0.1 * ADDING_BASELINE_MSE
    assert rnn > 0.5 * ADDING_BASELINE_MSE


def test_clip_grad_norm_keeps_an_exploding_rnn_finite_on_the_adding_problem():
    """A ReLU RNN whose recurrent matrix has spectral radius > 1, over T = 100 steps: the
    gradient norm explodes (~1e15, visible in what clip_grad_norm returns). Without
    clipping SGD diverges to nan within the first steps; clipped to norm 1 it stays finite
    for 100 steps and brings the loss from ~1e13 down to single digits."""
    raw = adding(n_samples=320, length=100, rng=np.random.default_rng(0))
    X, y = raw.X.astype(np.float32), raw.y.astype(np.float32)
    results = {}
    for clip in (False, True):
        rnn = layers.RNN(2, 16, nonlinearity="relu", rng=0)
        rnn.weight_hh_l0.data[...] = np.eye(16, dtype=np.float32) * 1.05 + rnn.weight_hh_l0.data * 0.3
        net = nets.Sequential(rnn, layers.LastStep(), layers.Linear(16, 1, rng=1))
        opt, mse = optim.SGD(net.parameters(), lr=0.01), losses.MSE()
        norms, values = [], []
        with np.errstate(all="ignore"):
            for step in range(100):
                i = (step % 5) * 64
                values.append(mse.forward(net.forward(X[i:i + 64]), y[i:i + 64]))
                opt.zero_grad()
                net.backward(mse.backward())
                norms.append(optim.clip_grad_norm(net.parameters(), 1.0) if clip else
                             float(np.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in net.parameters()))))
                opt.step()
        results[clip] = norms, values, all(np.isfinite(p.data).all() for p in net.parameters())
    norms, values, finite = results[False]
    assert norms[0] > 1e6 and not finite and not np.isfinite(values[-1])
    norms, values, finite = results[True]
    assert norms[0] > 1e6 and finite and np.isfinite(values).all()
    assert values[-1] < 10.0 and values[0] > 1e6
