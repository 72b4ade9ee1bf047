"""The graphs of tests/test_graph_torch_reference.py, shared with the script that
recorded torch's numbers for them (tests/torch_reference/record_graph.py).

Each case: (builder, per-sample input shapes, upstream gradient per output: True for
a random one, False for None: that output gets no gradient). The builders make the
kubik net in float64; the recorder writes weights under its parameter names, and
torch computes the same function by hand from those weights (XW orientation).
"""
import numpy as np

from kubik import layers, nets

L = layers


def fan_out():
    """One value feeds three consumers; their gradients must add up."""
    g = nets.Graph(inputs=["x"], outputs=["y"])
    g.add("stem", nets.Sequential(L.Linear(4, 5), L.Tanh()), "x")
    g.add("a", L.Linear(5, 3), "stem").add("b", nets.Sequential(L.Sigmoid(), L.Linear(5, 3)), "stem")
    g.add("c", L.Linear(5, 6), "stem")
    g.add("ab", L.Concatenate(), ["a", "b"])
    g.add("y", L.Multiply(), ["ab", "c"])
    return g


def fan_in():
    """Three paths meet in Add, then Concatenate with the input itself."""
    g = nets.Graph(inputs=["x"], outputs=["y"])
    g.add("p", L.Linear(4, 3), "x").add("q", nets.Sequential(L.Linear(4, 3), L.Tanh()), "x")
    g.add("r", nets.Sequential(L.Linear(4, 3), L.Sigmoid()), "x")
    g.add("s", L.Add(), ["p", "q", "r"])
    g.add("cat", L.Concatenate(), ["s", "x"])
    g.add("y", L.Linear(7, 2), "cat")
    return g


def two_inputs():
    g = nets.Graph(inputs=["img", "side"], outputs=["y"])
    g.add("f", nets.Sequential(L.Conv2d(1, 2, 3, padding=1), L.ReLU(), L.Flatten()), "img")
    g.add("v", L.Linear(3, 32), "side")
    g.add("m", L.Multiply(), ["f", "v"])
    g.add("y", L.Linear(32, 4), "m")
    return g


def two_outputs():
    """Two heads; the second gets no gradient (None), so only the first trains the stem."""
    g = nets.Graph(inputs=["x"], outputs=["logits", "aux"])
    g.add("stem", nets.Sequential(L.Linear(4, 6), L.Tanh()), "x")
    g.add("logits", L.Linear(6, 3), "stem").add("aux", L.Linear(6, 2), "stem")
    return g


def shared_twice():
    """One encoder for both inputs: its parameter gradients are the sum of both uses."""
    enc = nets.Sequential(L.Linear(4, 5), L.Tanh(), L.Linear(5, 3))
    g = nets.Graph(inputs=["x1", "x2"], outputs=["y"])
    g.add("e1", enc, "x1").add("e2", enc, "x2")
    g.add("d", L.Multiply(), ["e1", "e2"])
    g.add("y", L.Linear(3, 1), "d")
    return g


def node_outputs():
    """A node with two outputs (a Graph with two outputs inside a Graph), read as heads:0 and heads:1."""
    heads = nets.Graph(inputs=["h"], outputs=["u", "w"])
    heads.add("u", L.Linear(5, 3), "h").add("t", L.Tanh(), "h").add("w", L.Linear(5, 3), "t")
    g = nets.Graph(inputs=["x"], outputs=["y"])
    g.add("lin", L.Linear(4, 5), "x").add("heads", heads, "lin")
    g.add("y", L.Multiply(), ["heads:0", "heads:1"])
    return g


def graph_in_sequential():
    inner = nets.Graph(inputs=["x"], outputs=["s"])
    inner.add("a", L.Linear(5, 5), "x").add("t", L.Tanh(), "x").add("s", L.Add(), ["a", "t"])
    return nets.Sequential(L.Linear(4, 5), inner, L.Sigmoid(), L.Linear(5, 2))


def sequential_in_graph():
    g = nets.Graph(inputs=["x"], outputs=["y"])
    g.add("body", nets.Sequential(L.Linear(4, 6), L.ReLU(), L.Linear(6, 6), L.Tanh()), "x")
    g.add("skip", L.Linear(4, 6), "x")
    g.add("y", nets.Sequential(L.Add(), L.Linear(6, 2)), ["body", "skip"])
    return g


CASES = {
    "fan_out": (fan_out, [(4,)], [True]),
    "fan_in": (fan_in, [(4,)], [True]),
    "two_inputs": (two_inputs, [(1, 4, 4), (3,)], [True]),
    "two_outputs_none": (two_outputs, [(4,)], [True, False]),
    "shared_twice": (shared_twice, [(4,), (4,)], [True]),
    "node_outputs": (node_outputs, [(4,)], [True]),
    "graph_in_sequential": (graph_in_sequential, [(4,)], [True]),
    "sequential_in_graph": (sequential_in_graph, [(4,)], [True]),
}
N = 3


def build(name):
    """The case's kubik net in float64."""
    layers.seed(0)
    return CASES[name][0]().astype(np.float64)
