"""nets.Graph as a container: wiring errors naming the node, fan-out summing
gradients (by hand), None gradients, several inputs and outputs, a shared layer
used twice in one forward (a cache per use; parameters, running statistics and
random streams shared), parameter names by node, state, modes, dtypes,
set_propagate_down, shape inference with errors naming the node and every
input's shape, the printed wiring, nesting, and the spec round trip."""
import io

import numpy as np
import pytest

from kubik import layers, nets
from kubik.layers import Add, Concatenate, Linear, Multiply
from kubik.nets import Graph, GraphError

import cases_graph as G


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- wiring ----------------------------------------------------------------------------------------
def test_add_returns_the_graph_and_wiring_mistakes_name_the_node():
    g = Graph(inputs=["x"])
    assert g.add("stem", Linear(4, 3, rng=0), "x") is g
    with pytest.raises(GraphError, match=r"Graph.add\('b'\): input 'stm' is neither a graph input nor an earlier "
                                         r"node \(did you mean 'stem'\?\); known: x, stem"):
        g.add("b", Linear(3, 3), "stm")
    with pytest.raises(GraphError, match=r"node 'c' takes its own output \(a cycle\)"):
        g.add("c", Linear(3, 3), ["stem", "c"])
    with pytest.raises(GraphError, match=r"'stem' is already taken by an earlier node"):
        g.add("stem", Linear(3, 3), "x")
    with pytest.raises(GraphError, match=r"'x' is already taken by a graph input"):
        g.add("x", Linear(3, 3), "stem")
    with pytest.raises(GraphError, match="without ':'"):
        g.add("a:b", Linear(3, 3), "stem")
    with pytest.raises(TypeError, match=r"Graph.add\('d'\): expected a Layer, got int"):
        g.add("d", 3, "stem")
    with pytest.raises(GraphError, match="name one input twice"):
        Graph(inputs=["x", "x"])
    late = Graph(inputs=["x"], outputs=["y", "nope"]).add("y", layers.Tanh(), "x")
    with pytest.raises(GraphError, match=r"output 'nope' is produced by no node; nodes: y"):
        late.forward(randn(2, 3))
    with pytest.raises(GraphError, match="has no nodes"):
        Graph(inputs=["x"]).output_shape((3,))


def test_a_node_with_two_outputs_is_read_by_index():
    g = Graph(inputs=["x"]).add("heads", G.two_heads(), "x")
    with pytest.raises(GraphError, match=r"node 'heads' has 2 outputs; pick one as 'heads:0' ... 'heads:1'"):
        g.add("y", layers.Tanh(), "heads")
    with pytest.raises(GraphError, match=r"'heads:2' picks output 2 of 'heads', which has 2 output\(s\)"):
        g.add("y", layers.Tanh(), "heads:2")
    g.add("y", layers.Tanh(), "heads:1")
    assert g.output_shape((5,)) == (3,)
    assert g.forward(randn(2, 5)).shape == (2, 3)


# -- the chain rule on a graph ----------------------------------------------------------------------
def test_fan_out_sums_gradients_by_hand():
    # y = x·w1 + x·w2 (two Linear without bias on the same x): dX = G (w1 + w2)ᵀ
    a, b = Linear(2, 1, bias=False, rng=0), Linear(2, 1, bias=False, rng=1)
    a.weight.data[...] = [[1.0], [2.0]]
    b.weight.data[...] = [[10.0], [20.0]]
    g = Graph(inputs=["x"]).add("a", a, "x").add("b", b, "x").add("y", Add(), ["a", "b"])
    X = np.array([[1.0, 1.0]], np.float32)
    np.testing.assert_array_equal(g.forward(X), [[33.0]])
    np.testing.assert_array_equal(g.backward(np.array([[2.0]], np.float32)), [[22.0, 44.0]])
    # the same value twice into one merge layer: dX = 2 G (and the layer's G is never written into)
    twice = Graph(inputs=["x"]).add("s", Add(), ["x", "x"])
    G2 = np.ones((2, 3), np.float32)
    twice.forward(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(twice.backward(G2), 2 * G2)
    assert np.array_equal(G2, np.ones((2, 3)))


def test_none_gradient_skips_the_branch_and_wrong_gradients_are_named():
    g = G.two_inputs_two_outputs()
    X1, X2 = randn(3, 4), randn(3, 2, seed=1)
    y, aux = g.forward(X1, X2)
    g.zero_grad()
    d1, d2 = g.backward(np.ones_like(y), None)
    assert not g["aux"].weight.grad.any() and g["y"][1].weight.grad.any()
    assert d1.shape == X1.shape and d2.shape == X2.shape
    with pytest.raises(TypeError, match=r"backward takes one gradient per output \(y, aux\), got 1"):
        g.backward(np.ones_like(y))
    with pytest.raises(ValueError, match=r"the gradient of output 'aux' has shape \(3, 2\), expected \(3, 1\)"):
        g.backward(None, np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"takes 2 input\(s\) \(x1, x2\), got 1"):
        g.forward(X1)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        G.fan_out_in().backward(np.ones((3, 3)))


def test_errors_inside_a_node_name_the_node():
    g = G.fan_out_in()
    with pytest.raises(ValueError, match=r"^Graph\[a\]: Linear\(in_features=5, .*expected input of shape \(N, 5\), "
                                         r"got \(3, 6\)"):
        g.forward(randn(3, 6))
    with pytest.raises(ValueError, match=r"Graph\[a\]: Linear: got an empty batch"):
        g.forward(randn(0, 5))


# -- shared layers ------------------------------------------------------------------------------------
def test_a_layer_used_twice_keeps_a_cache_per_use_and_sums_its_gradients():
    lin = Linear(3, 2, rng=0)
    g = Graph(inputs=["x1", "x2"]).add("a", lin, "x1").add("b", lin, "x2").add("y", Concatenate(), ["a", "b"])
    X1, X2, R = randn(4, 3), randn(4, 3, seed=1), randn(4, 4, seed=2)
    g.forward(X1, X2)
    g.zero_grad()
    d1, d2 = g.backward(R)
    W = lin.weight.data
    np.testing.assert_allclose(lin.weight.grad, X1.T @ R[:, :2] + X2.T @ R[:, 2:], rtol=1e-6)   # both uses
    np.testing.assert_allclose(d1, R[:, :2] @ W.T, rtol=1e-5)
    np.testing.assert_allclose(d2, R[:, 2:] @ W.T, rtol=1e-5)      # the second use's cache, not the first's
    assert [n for n, _ in g.named_parameters()] == ["a.weight", "a.bias"]
    assert "(b) <- x2: shares a" in repr(g)


def test_shared_batchnorm_and_dropout_share_statistics_and_streams():
    bn = layers.BatchNorm1d(3)
    g = Graph(inputs=["x1", "x2"]).add("a", bn, "x1").add("b", bn, "x2").add("y", Add(), ["a", "b"])
    g.forward(randn(5, 3) + 4, randn(5, 3, seed=1) - 4)
    assert int(bn.num_batches_tracked) == 2                     # both uses updated the one running mean
    assert abs(float(bn.running_mean.mean())) < 0.1             # +4 and -4 averaged in
    g.eval()
    assert not g._replicas["b"].training
    drop = layers.Dropout(0.5, rng=0)
    d = Graph(inputs=["x"]).add("p", drop, "x").add("q", drop, "x").add("y", Concatenate(), ["p", "q"])
    Y = d.forward(np.ones((4, 50), np.float32))
    assert not np.array_equal(Y[:, :50], Y[:, 50:])             # one stream, drawn twice: two masks


def test_astype_rebuilds_the_replicas_and_gradcheck_passes():
    g = G.shared_twice()
    X = (randn(3, 4), randn(3, 4, seed=1))
    g.forward(*X)
    g.astype(np.float64)
    assert g.forward(*X).dtype == np.float64 and g._replicas["e2"][0].weight.data.dtype == np.float64
    assert layers.gradcheck(g, X).ok
    g.astype(np.float32)
    assert g.forward(*X).dtype == np.float32


# -- state, modes, propagate_down ---------------------------------------------------------------------------
def test_parameters_state_and_modes_by_node():
    g = G.fan_out_in()
    assert [n for n, _ in g.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias", "out.weight",
                                                    "out.bias"]
    other = G.fan_out_in()
    for p in other.parameters():
        p.data += 1
    other.load_state_dict(g.state_dict())
    X = randn(2, 5)
    np.testing.assert_array_equal(other.forward(X), g.forward(X))
    assert g.eval() is g and not g["a"].training and g.train()["a"].training


def test_set_propagate_down_marks_data_inputs():
    g = G.two_inputs_two_outputs()
    g.set_propagate_down([False, True])
    X1, X2 = randn(3, 4), randn(3, 2, seed=1)
    y, aux = g.forward(X1, X2)
    d1, d2 = g.backward(np.ones_like(y), np.ones_like(aux))
    assert d1 is None and d2.shape == X2.shape
    assert not g["p"].propagate_down and g["q"].propagate_down     # Linear p skips its dX GEMM
    assert g.set_propagate_down(False).backward(*[np.ones_like(v) for v in g.forward(X1, X2)]) is None
    with pytest.raises(ValueError, match="one flag per input"):
        g.set_propagate_down([True])


# -- shapes and printing ---------------------------------------------------------------------------------
def test_output_shape_and_errors_name_the_node_and_every_input():
    g = G.two_inputs_two_outputs()
    assert g.output_shape((4,), (2,)) == ((2,), (1,)) and g.num_outputs == 2
    bad = Graph(inputs=["x"]).add("a", Linear(4, 3), "x").add("b", Linear(4, 2), "x").add("m", Multiply(), ["a", "b"])
    with pytest.raises(ValueError, match=r"Graph\[m\] on a \(3,\), b \(2,\): Multiply\(\): inputs must "
                                         r"have the same shape; got input 0 \(N, 3\), input 1 \(N, 2\)"):
        bad.output_shape((4,))


def test_summary_and_repr_show_the_wiring():
    text = nets.summary(G.shared_twice(), [(4,), (4,)], file=io.StringIO())
    assert "e1 <- x1: Sequential" in text and "e2 <- x2: shares e1" in text and "d <- e1, e2: Concatenate" in text
    assert "total parameters: 23" in text                       # the shared encoder counted once
    r = repr(G.node_outputs())
    assert r.startswith("Graph(inputs=[x], outputs=[y]") and "(y) <- heads:0, h: Multiply()" in r


# -- nesting and spec --------------------------------------------------------------------------------------------
def test_nests_both_ways_and_round_trips_through_its_spec():
    seq = G.nested()
    X = randn(2, 5)
    assert seq.forward(X).shape == (2, 3) and layers.gradcheck(seq, X).ok
    g = G.shared_twice()
    spec = g.spec()
    assert spec["Graph"]["nodes"][1] == {"name": "e2", "in": "x2", "share": "e1"}
    again = nets.from_spec(spec, [(4,), (4,)])
    again.load_state_dict(g.state_dict())
    X = (randn(3, 4), randn(3, 4, seed=1))
    np.testing.assert_array_equal(again.forward(*X), g.forward(*X))
    assert again["e1"] is again["e2"]


def test_check_layer_passes_for_graphs():
    from kubik.layers.testing import check_layer
    check_layer(G.fan_out_in(), (3, 5))
    check_layer(G.two_inputs_two_outputs(), ((3, 4), (3, 2)))
    check_layer(G.shared_twice(), ((3, 4), (3, 4)))


def test_a_plain_chain_runs_as_a_sequential_does():
    def layers_():
        layers.seed(0)
        return [layers.ReLU(), Linear(4, 5), layers.Tanh(), Linear(5, 3)]
    seq = nets.Sequential(*layers_()).set_propagate_down(False)
    g = Graph(inputs=["x"])
    for i, layer in enumerate(layers_()):
        g.add(f"n{i}", layer, "x" if i == 0 else f"n{i - 1}")
    g.set_propagate_down(False)
    X, G = randn(6, 4).astype(np.float32), randn(6, 3, seed=1).astype(np.float32)
    np.testing.assert_array_equal(g.forward(X), seq.forward(X))
    assert g._plan.chain is not None and g._plan.trained == 3      # the leading ReLU needs no backward
    assert g.backward(G) is None            # (the Sequential runs the ReLU's backward for nothing)
    seq.backward(G)
    for (n, p), (_, q) in zip(g.named_parameters(), seq.named_parameters()):
        np.testing.assert_array_equal(p.grad, q.grad)
    assert layers.gradcheck(g.set_propagate_down(True), X.astype(np.float64)).ok
    with pytest.raises(ValueError, match=r"^Graph\[n1\]: Linear"):
        g.forward(randn(6, 5))
    with pytest.raises(ValueError, match=r"the gradient of output 'n3' has shape \(6, 2\), expected \(6, 3\)"):
        g.forward(X)
        g.backward(np.ones((6, 2)))
    assert Graph(inputs=["x"]).add("a", Linear(4, 3), "x").add("b", Linear(4, 3), "x")._compiled().chain is None
