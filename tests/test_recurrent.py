"""RNN, LSTM, GRU, LastStep, MeanOverTime: hand-computed values, PyTorch's
names and layout, states, errors, dtypes and building from a config.
(Gradient checks: tests/cases_sequence.py.)"""
import math

import numpy as np
import pytest

from kubik import layers, nets
from kubik.nets.builders.model import build_model


def test_one_unit_rnn_by_hand():
    """A 1-unit tanh RNN, input size 1, over 3 steps, worked on paper.

    Weights: w_ih = 0.5, w_hh = −1, b_ih = 0.1, b_hh = 0 (so a_t = 0.5 x_t + 0.1 − h_{t−1}).
    Inputs x = (1, 2, −1), h_0 = 0:

        a_1 = 0.5 + 0.1 − 0          =  0.6         h_1 = tanh 0.6         =  0.537050
        a_2 = 1.0 + 0.1 − 0.537050   =  0.562950    h_2 = tanh 0.562950    =  0.510163
        a_3 = −0.5 + 0.1 − 0.510163  = −0.910163    h_3 = tanh(−0.910163)  = −0.721211

    Loss L = h_3 (gradient 1 at the last step only). Backward, d_t = dL/da_t:

        d_3 = 1 · (1 − h_3²)            =  0.479855
        d_2 = d_3 · w_hh · (1 − h_2²)   = −0.479855 · 0.739733 = −0.354965
        d_1 = d_2 · w_hh · (1 − h_1²)   =  0.354965 · 0.711578 =  0.252585

        dL/dx_t   = 0.5 d_t             = (0.126293, −0.177482, 0.239928)
        dL/dw_ih  = Σ x_t d_t           = 0.252585 − 0.709930 − 0.479855 = −0.937200
        dL/dw_hh  = Σ h_{t−1} d_t       = 0 − 0.190634 + 0.244805 = 0.054171
        dL/db_ih  = dL/db_hh = Σ d_t    = 0.377475
        dL/dh_0   = d_1 · w_hh          = −0.252585
    """
    rnn = layers.RNN(1, 1, dtype=np.float64)
    rnn.weight_ih_l0.data[...] = 0.5
    rnn.weight_hh_l0.data[...] = -1.0
    rnn.bias_ih_l0.data[...] = 0.1
    rnn.bias_hh_l0.data[...] = 0.0
    Y = rnn.forward(np.array([[[1.0], [2.0], [-1.0]]]))
    np.testing.assert_allclose(Y.ravel(), [0.537050, 0.510163, -0.721211], atol=1e-6)
    np.testing.assert_allclose(rnn.h_n.ravel(), [-0.721211], atol=1e-6)
    G = np.zeros_like(Y)
    G[0, -1, 0] = 1.0
    dX = rnn.backward(G)
    np.testing.assert_allclose(dX.ravel(), [0.126293, -0.177482, 0.239928], atol=2e-6)
    np.testing.assert_allclose(rnn.weight_ih_l0.grad.ravel(), [-0.937200], atol=2e-6)
    np.testing.assert_allclose(rnn.weight_hh_l0.grad.ravel(), [0.054171], atol=2e-6)
    np.testing.assert_allclose(rnn.bias_ih_l0.grad.ravel(), [0.377475], atol=2e-6)
    np.testing.assert_allclose(rnn.bias_hh_l0.grad.ravel(), [0.377475], atol=2e-6)
    np.testing.assert_allclose(rnn.grad_h0.ravel(), [-0.252585], atol=2e-6)


@pytest.mark.parametrize("cls,gates", [(layers.RNN, 1), (layers.LSTM, 4), (layers.GRU, 3)])
def test_pytorch_names_shapes_and_init(cls, gates):
    net = cls(5, 4, num_layers=2, bidirectional=True, rng=0)
    names = [n for n, _ in net.named_parameters()]
    expected = []
    for k in range(2):
        for sfx in ("", "_reverse"):
            expected += [f"weight_ih_l{k}{sfx}", f"weight_hh_l{k}{sfx}", f"bias_ih_l{k}{sfx}", f"bias_hh_l{k}{sfx}"]
    assert names == expected
    assert net.weight_ih_l0.shape == (5, gates * 4)          # XW orientation (in, gates*hidden)
    assert net.weight_ih_l1_reverse.shape == (8, gates * 4)  # stacked: input is 2*hidden
    assert net.weight_hh_l1.shape == (4, gates * 4)
    for p in net.parameters():
        assert p.dtype == np.float32 and np.abs(p.data).max() <= 0.5   # U(-1/sqrt(4), 1/sqrt(4))
    Y = net.forward(np.zeros((3, 6, 5), np.float32))
    assert Y.shape == (3, 6, 8) and Y.dtype == np.float32
    assert net.h_n.shape == (4, 3, 4)
    assert (net.c_n is not None) == (cls is layers.LSTM)
    assert net.output_shape((6, 5)) == (6, 8)
    assert net.backward(np.ones_like(Y)).dtype == np.float32


@pytest.mark.parametrize("cls", [layers.RNN, layers.LSTM, layers.GRU])
def test_final_state_is_last_output_and_reverse_is_first(cls):
    net = cls(3, 4, bidirectional=True, rng=1, dtype=np.float64)
    Y = net.forward(np.random.default_rng(0).standard_normal((2, 5, 3)))
    np.testing.assert_array_equal(net.h_n[0], Y[:, -1, :4])
    np.testing.assert_array_equal(net.h_n[1], Y[:, 0, 4:])


@pytest.mark.parametrize("cls", [layers.RNN, layers.LSTM, layers.GRU])
def test_initial_states_and_their_gradient(cls):
    """The state carries over: running 6 steps equals running 3, then 3 more from h_n (and c_n);
    grad_h0 / grad_c0 match finite differences."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2, 6, 3))
    net = cls(3, 4, num_layers=2, rng=3, dtype=np.float64)
    full = net.forward(X)
    net.forward(X[:, :3])
    net.set_initial_state(net.h_n, net.c_n)
    np.testing.assert_allclose(net.forward(X[:, 3:]), full[:, 3:], atol=1e-12)
    h0 = rng.standard_normal((2, 2, 4))
    c0 = rng.standard_normal((2, 2, 4)) if cls is layers.LSTM else None
    net.set_initial_state(h0, c0)
    R = rng.standard_normal(full.shape)
    net.forward(X)
    net.backward(R)
    for state, grad in ((h0, net.grad_h0), (c0, net.grad_c0)):
        if state is None:
            continue
        num = np.zeros_like(state)
        for i in np.ndindex(state.shape):
            old = state[i]
            state[i] = old + 1e-6
            fp = np.sum(net.forward(X) * R)
            state[i] = old - 1e-6
            fm = np.sum(net.forward(X) * R)
            state[i] = old
            num[i] = (fp - fm) / 2e-6
        np.testing.assert_allclose(grad, num, atol=1e-7)
    net.set_initial_state(None)
    assert net.h0 is None and net.c0 is None


def test_errors_name_the_layer_and_value():
    net = layers.LSTM(3, 4)
    with pytest.raises(ValueError, match=r"LSTM.*\(N, T, 3\)"):
        net.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"LSTM.*\(N, T, 3\)"):
        net.forward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="T = 0"):
        net.forward(np.zeros((2, 0, 3)))
    net.set_initial_state(np.zeros((1, 5, 4)))
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 5, 4\), expected \(1, 2, 4\)"):
        net.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="no cell state"):
        layers.GRU(3, 4).set_initial_state(np.zeros((1, 2, 4)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="nonlinearity"):
        layers.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        layers.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size"):
        layers.LSTM(3, 0)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layers.RNN(3, 4).backward(np.zeros((1, 1, 4)))


def test_dropout_between_layers_only_in_training():
    net = layers.LSTM(3, 4, num_layers=2, dropout=0.5, rng=0, dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((4, 5, 3))
    a, b = net.forward(X), net.forward(X)
    assert not np.allclose(a, b)                   # masks differ between training steps
    net.eval()
    np.testing.assert_array_equal(net.forward(X), net.forward(X))
    single = layers.LSTM(3, 4, dropout=0.5, rng=0)   # one layer: nothing to drop between
    single.forward(X.astype(np.float32))
    np.testing.assert_array_equal(single.forward(X.astype(np.float32)), single.forward(X.astype(np.float32)))


def test_extreme_inputs_stay_finite():
    for cls in (layers.RNN, layers.LSTM, layers.GRU):
        net = cls(2, 3, rng=0)
        Y = net.forward(np.array([[[1e4, -1e4], [-1e4, 1e4], [0.0, 0.0]]], np.float32))
        dX = net.backward(np.ones_like(Y))
        assert np.isfinite(Y).all() and np.isfinite(dX).all() and np.abs(Y).max() <= 1.0


def test_last_step_and_mean_over_time_values():
    X = np.arange(12.0).reshape(1, 3, 4)
    last, mean = layers.LastStep(), layers.MeanOverTime()
    np.testing.assert_array_equal(last.forward(X), [[8, 9, 10, 11]])
    np.testing.assert_array_equal(mean.forward(X), [[4, 5, 6, 7]])
    G = np.array([[3.0, 6, 9, 12]])
    np.testing.assert_array_equal(last.backward(G), [[[0] * 4, [0] * 4, [3, 6, 9, 12]]])
    np.testing.assert_array_equal(mean.backward(G), np.full((1, 3, 4), 1.0) * [1, 2, 3, 4])
    with pytest.raises(ValueError, match="LastStep"):
        last.forward(np.zeros((2, 3)))
    assert last.output_shape((7, 5)) == (5,) and mean.output_shape((7, 5)) == (5,)


def test_built_from_a_config_with_shape_inference():
    cfg = [{"GRU": {"hidden_size": 6, "num_layers": 2, "bidirectional": True}},
           {"LSTM": {"hidden_size": 5}}, "LastStep", {"Linear": {"out_features": 3}}]
    net, rows, shape = build_model(cfg, (8, 4))
    assert shape == (3,)
    assert net.forward(np.zeros((2, 8, 4), np.float32)).shape == (2, 3)
    with pytest.raises(nets.ConfigError, match="model"):
        build_model([{"LSTM": {"hidden_size": 5}}], (8,))


@pytest.mark.parametrize("cls", [layers.RNN, layers.LSTM, layers.GRU])
def test_empty_batch(cls):
    """An empty batch is a ValueError naming the layer, as for every kubik layer (docs/guide/layers.md: input policy)."""
    net = cls(3, 4, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=cls.__name__):
        net.forward(np.zeros((0, 5, 3), np.float32))
    with pytest.raises(ValueError, match="LastStep"):
        layers.LastStep().forward(np.zeros((0, 5, 8), np.float32))
