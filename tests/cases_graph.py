"""Gradient-check cases for Graph (fan-out, fan-in, two inputs, two outputs, a
shared layer used twice, a node with two outputs read as "node:i", nesting) and
the Contrastive loss. X is a tuple for a graph with several inputs."""
import numpy as np

from kubik import layers, losses, nets


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def fan_out_in():
    """x -> a (Linear), b (Tanh -> Linear); a + b; x also feeds a Concatenate with the sum."""
    g = nets.Graph(inputs=["x"], outputs=["out"])
    g.add("a", layers.Linear(5, 4, rng=0), "x")
    g.add("t", layers.Tanh(), "x")
    g.add("b", layers.Linear(5, 4, rng=1), "t")
    g.add("sum", layers.Add(), ["a", "b"])
    g.add("cat", layers.Concatenate(), ["sum", "x"])
    g.add("out", layers.Linear(9, 3, rng=2), "cat")
    return g


def two_inputs_two_outputs():
    g = nets.Graph(inputs=["x1", "x2"], outputs=["y", "aux"])
    g.add("p", layers.Linear(4, 3, rng=0), "x1")
    g.add("q", layers.Linear(2, 3, rng=1), "x2")
    g.add("m", layers.Multiply(), ["p", "q"])
    g.add("y", nets.Sequential(layers.Tanh(), layers.Linear(3, 2, rng=2)), "m")
    g.add("aux", layers.Linear(3, 1, rng=3), "p")
    return g


def shared_twice():
    enc = nets.Sequential(layers.Linear(4, 3, rng=0), layers.Tanh(), layers.Linear(3, 2, rng=1))
    g = nets.Graph(inputs=["x1", "x2"], outputs=["d"])
    g.add("e1", enc, "x1").add("e2", enc, "x2")
    g.add("d", layers.Concatenate(), ["e1", "e2"])
    return g


def two_heads():
    """A graph with two outputs, used as one node of another graph (a layer with num_outputs 2)."""
    g = nets.Graph(inputs=["x"], outputs=["a", "b"])
    g.add("a", layers.Linear(5, 2, rng=4), "x").add("t", layers.Tanh(), "x").add("b", layers.Linear(5, 3, rng=5), "t")
    return g


def node_outputs():
    """A node with two outputs, read as "heads:0" and "heads:1"."""
    g = nets.Graph(inputs=["x"], outputs=["y"])
    g.add("lin", layers.Linear(4, 5, rng=0), "x")
    g.add("heads", two_heads(), "lin")
    g.add("h", layers.Linear(3, 2, rng=1), "heads:1")
    g.add("y", layers.Multiply(), ["heads:0", "h"])
    return g


def nested():
    inner = fan_out_in()
    return nets.Sequential(layers.Linear(5, 5, rng=3), inner, layers.Tanh())


LAYER_CASES = {
    "Graph": [("fan_out_in", lambda: (fan_out_in(), randn(3, 5))),
              ("two_inputs_two_outputs", lambda: (two_inputs_two_outputs(), (randn(3, 4), randn(3, 2, seed=1)))),
              ("shared_twice", lambda: (shared_twice(), (randn(3, 4), randn(3, 4, seed=1)))),
              ("node_outputs", lambda: (node_outputs(), randn(3, 4))),
              ("inside_sequential", lambda: (nested().children()[1], randn(2, 5)))],
}

LOSS_CASES = {
    "Contrastive": [("mean", lambda: (losses.Contrastive(margin=2.0), (randn(6, 3), randn(6, 3, seed=1)),
                                      np.array([1, 0, 0, 1, 0, 1]))),
                    ("sum_images", lambda: (losses.Contrastive(margin=6.0, reduction="sum"),
                                            (randn(4, 2, 3), randn(4, 2, 3, seed=1)), np.array([0, 0, 1, 1]))),
                    ("none", lambda: (losses.Contrastive(reduction="none"), (randn(5, 2), randn(5, 2, seed=1)),
                                      np.array([1, 0, 1, 0, 0])))],
}
