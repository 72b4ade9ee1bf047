"""Converters of the one-step cells, decomposed into MatMul, Sigmoid and Tanh (ONNX's RNN
operators want a time axis): RNNCell (x, h) -> h', GRUCell (x, h) -> h', LSTMCell (x, h, c)
-> (h', c'), two graph outputs. A cell given only x starts from zero states, as in kubik.
Each gate block is its own MatMul with the matching columns of Wᵢₕ and Wₕₕ (PyTorch's gate
order: r, z, n and i, f, g, o)."""
from ...layers import GRUCell, LSTMCell, RNNCell

from .graph import converts


def _gate(g, layer, xs, k, inner=None):
    """Block k of X Wᵢₕ + bᵢₕ (+ H Wₕₕ + bₕₕ): its two parts (the hidden one None without h)."""
    H = layer.hidden_size
    cols = slice(k * H, (k + 1) * H)
    x = g.op("MatMul", [xs[0], g.const(layer.weight_ih.data[:, cols], "weight_ih")])
    if layer.bias_ih is not None:
        x = g.op("Add", [x, g.const(layer.bias_ih.data[cols], "bias_ih")])
    hb = None if layer.bias_hh is None else layer.bias_hh.data[cols]
    if len(xs) == 1:                                           # zero state: only the hidden bias is left
        return x, (None if hb is None else g.const(hb, "bias_hh"))
    h = g.op("MatMul", [xs[1], g.const(layer.weight_hh.data[:, cols], "weight_hh")])
    return x, (h if hb is None else g.op("Add", [h, g.const(hb, "bias_hh")]))


def _sum(g, a, b):
    return a if b is None else g.op("Add", [a, b])


def _inputs(x):
    return x if isinstance(x, list) else [x]


@converts(RNNCell)
def rnn_cell(g, layer, x, shape, where):
    a = _sum(g, *_gate(g, layer, _inputs(x), 0))
    return g.op("Tanh" if layer.nonlinearity == "tanh" else "Relu", [a])


@converts(GRUCell)
def gru_cell(g, layer, x, shape, where):
    xs = _inputs(x)
    r = g.op("Sigmoid", [_sum(g, *_gate(g, layer, xs, 0))])
    z = g.op("Sigmoid", [_sum(g, *_gate(g, layer, xs, 1))])
    xn, hn = _gate(g, layer, xs, 2)
    n = g.op("Tanh", [xn if hn is None else g.op("Add", [xn, g.op("Mul", [r, hn])])])
    if len(xs) == 1:                                           # H = 0: H' = (1 − z) n
        return g.op("Sub", [n, g.op("Mul", [z, n])])
    return g.op("Add", [n, g.op("Mul", [z, g.op("Sub", [xs[1], n])])])


@converts(LSTMCell)
def lstm_cell(g, layer, x, shape, where):
    xs = _inputs(x)
    i, f, gg, o = (_sum(g, *_gate(g, layer, xs, k)) for k in range(4))
    i, f, o = (g.op("Sigmoid", [a]) for a in (i, f, o))
    c = g.op("Mul", [i, g.op("Tanh", [gg])])
    if len(xs) == 3:
        c = g.op("Add", [c, g.op("Mul", [f, xs[2]])])
    return [g.op("Mul", [o, g.op("Tanh", [c])]), c]
