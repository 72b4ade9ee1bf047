"""RNNCell, GRUCell, LSTMCell (one step, several inputs) and cross-attention under the
multi-input contract: check_layer with a tuple of inputs (float64 gradchecks of every
input and parameter, accumulation, shapes, state_dict, astype, batch of 1, input
errors), hand values, the zero-state form, shared() copies, configs, negative control."""
import math

import numpy as np
import pytest

from kubik import layers, nets
from kubik.layers.testing import LayerCheckError, check_layer


@pytest.mark.parametrize("cls, kwargs", [(layers.RNNCell, {}), (layers.RNNCell, {"nonlinearity": "relu"}),
                                         (layers.GRUCell, {}), (layers.LSTMCell, {}), (layers.LSTMCell, {"bias": False})])
def test_cells_conform_with_states(cls, kwargs):
    states = ((3, 5),) * (2 if cls is layers.LSTMCell else 1)
    check_layer(cls(4, 5, rng=0, **kwargs), ((3, 4),) + states)


@pytest.mark.parametrize("cls", [layers.RNNCell, layers.GRUCell, layers.LSTMCell])
def test_cells_conform_from_a_zero_state(cls):
    check_layer(cls(4, 5, rng=0), (3, 4))


def test_cross_attention_conforms():
    check_layer(layers.MultiheadAttention(4, 2, rng=0), ((2, 3, 4), (2, 5, 4), (2, 5, 4)))
    check_layer(layers.MultiheadAttention(4, 1, causal=True, dropout=0.2, rng=0), ((2, 3, 4), (2, 3, 4), (2, 3, 4)))


def test_rnn_cell_by_hand():
    cell = layers.RNNCell(1, 1, dtype=np.float64)
    cell.load_state_dict({"weight_ih": np.array([[0.5]]), "weight_hh": np.array([[-1.0]]),
                          "bias_ih": np.array([0.1]), "bias_hh": np.array([0.2])})
    H1 = cell.forward(np.array([[2.0]]), np.array([[0.3]]))
    a = 0.5 * 2 + 0.1 - 0.3 + 0.2                         # 1.0
    assert H1[0, 0] == pytest.approx(math.tanh(a))
    dX, dH = cell.backward(np.array([[1.0]]))
    d = 1 - math.tanh(a) ** 2
    assert dX[0, 0] == pytest.approx(0.5 * d) and dH[0, 0] == pytest.approx(-d)
    assert cell.weight_ih.grad[0, 0] == pytest.approx(2 * d) and cell.bias_hh.grad[0] == pytest.approx(d)


def test_lstm_cell_by_hand():
    """Zero weights: every gate is σ(b) or tanh(b); C' = f C + i g, H' = o tanh C'."""
    cell = layers.LSTMCell(2, 1, dtype=np.float64)
    state = {n: np.zeros(p.shape) for n, p in cell.named_parameters()}
    state["bias_ih"] = np.array([0.0, 1.0, 0.5, -1.0])            # i, f, g, o
    cell.load_state_dict(state)
    H1, C1 = cell.forward(np.ones((1, 2)), np.zeros((1, 1)), np.full((1, 1), 2.0))
    s = lambda x: 1 / (1 + math.exp(-x))
    c = s(1.0) * 2.0 + s(0.0) * math.tanh(0.5)
    assert C1[0, 0] == pytest.approx(c) and H1[0, 0] == pytest.approx(s(-1.0) * math.tanh(c))


def test_gru_cell_interpolates_between_the_state_and_the_candidate():
    cell = layers.GRUCell(1, 1, dtype=np.float64)
    state = {n: np.zeros(p.shape) for n, p in cell.named_parameters()}
    state["bias_ih"] = np.array([0.0, 50.0, 0.0])                 # z = σ(50) = 1: H' = H
    cell.load_state_dict(state)
    np.testing.assert_allclose(cell.forward(np.ones((2, 1)), np.array([[0.7], [-0.2]])), [[0.7], [-0.2]])


def test_zero_state_equals_explicit_zeros():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4))
    for cls in (layers.RNNCell, layers.GRUCell, layers.LSTMCell):
        cell = cls(4, 2, rng=0, dtype=np.float64)
        zeros = (np.zeros((3, 2)),) * (2 if cls is layers.LSTMCell else 1)
        a, b = cell.forward(X), cell.forward(X, *zeros)
        for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            np.testing.assert_array_equal(u, v)
        G = (np.ones((3, 2)),) * len(zeros)
        cell.forward(X)
        dX = cell.backward(*G)
        assert isinstance(dX, np.ndarray) and dX.shape == X.shape


def test_shared_copies_share_parameters_not_caches():
    cell = layers.GRUCell(3, 2, rng=0)
    twin = cell.shared()
    assert twin.weight_ih is cell.weight_ih and [n for n, _ in twin.named_parameters()] == \
        [n for n, _ in cell.named_parameters()]
    X = np.ones((2, 3), np.float32)
    cell.forward(X)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        twin.backward(np.ones((2, 2), np.float32))


def test_cell_errors_name_the_layer():
    cell = layers.LSTMCell(4, 3, rng=0)
    with pytest.raises(TypeError, match=r"LSTMCell\(4, 3\): give the states H and C or none, got 1"):
        cell.forward(np.zeros((2, 4)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"LSTMCell\(4, 3\): C must have shape \(2, 3\) \(N, hidden_size\), got \(2, 4\)"):
        cell.forward(np.zeros((2, 4)), np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"LSTMCell\(4, 3\): expected input of shape X \(N, 4\)"):
        cell.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"backward takes 2 gradient\(s\) of shape \(2, 3\)"):
        cell.forward(np.zeros((2, 4)))
        cell.backward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be 'tanh' or 'relu'"):
        layers.RNNCell(2, 2, nonlinearity="sigmoid")
    assert cell.output_shape((4,), (3,), (3,)) == ((3,), (3,))
    assert layers.GRUCell(4, 3).output_shape((4,), (3,)) == (3,)


class WrongGRUCell(layers.GRUCell):
    """A deliberately wrong VJP: the direct path dH' ⊙ z left out of dH."""

    def _unstep(self, grads, cache):
        dXP, dHP, direct = super()._unstep(grads, cache)
        return dXP, dHP, (None,)


def test_negative_control_wrong_cell_backward_fails():
    with pytest.raises(LayerCheckError, match="gradcheck.*input 1"):
        check_layer(WrongGRUCell(3, 2, rng=0), ((3, 3), (3, 2)))
    result = layers.gradcheck(WrongGRUCell(3, 2, rng=0), (np.ones((2, 3)), np.full((2, 2), 0.5)), raise_on_fail=False)
    assert not result.ok


def test_cells_from_a_config():
    net, _, shape = nets.build.build_model([{"GRUCell": {"hidden_size": 6}}, {"Linear": {"out_features": 2}}], (4,))
    assert shape == (2,) and net[0].input_size == 4
    assert net.spec()[0] == {"GRUCell": {"input_size": 4, "hidden_size": 6}}


def test_cells_and_cross_attention_in_a_graph():
    """A Graph wires a cell's states and an attention's keys by name; gradients of every
    graph input and parameter check out (K and V from one input: their gradients add)."""
    g = nets.Graph(inputs=["x", "h", "c", "memory"], outputs=["attn", "cell:1"])
    g.add("cell", layers.LSTMCell(3, 4, rng=0), ["x", "h", "c"])
    g.add("query", layers.Reshape(1, 4), "cell:0")                       # (N, 1, 4): one query per sample
    g.add("attn", layers.MultiheadAttention(4, 2, rng=1), ["query", "memory", "memory"])
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4)),
         rng.standard_normal((2, 5, 4)))
    out, c1 = g.forward(*X)
    assert out.shape == (2, 1, 4) and c1.shape == (2, 4)
    result = layers.gradcheck(g, X, raise_on_fail=False)
    assert result.ok, str(result)
