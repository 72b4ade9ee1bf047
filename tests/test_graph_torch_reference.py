"""Graphs against numbers recorded with torch (float64, 1e-7 relative): fan-out,
fan-in, two inputs, two outputs (one with no gradient), a shared layer used twice,
a node with two outputs read as "node:i", a Graph inside a Sequential and a
Sequential inside a Graph. Outputs, the gradient of every input and of every
parameter, for L = Σ_k Σ Y_k ⊙ R_k. Recorded once by
tests/torch_reference/record_graph.py (torch 2.13); this test does not import torch.
A merge layer with a wrong backward fails both this comparison and gradcheck."""
import pathlib

import numpy as np
import pytest

from kubik import layers
from graph_parity_cases import CASES, build

DATA = pathlib.Path(__file__).parent / "data" / "torch_graph_reference.npz"
RTOL, ATOL = 1e-7, 1e-12


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def run_case(ref, case):
    """(outputs, input gradients, parameter gradients) of kubik on the recorded case."""
    _, shapes, graded = CASES[case]
    net = build(case)
    net.load_state_dict({n: ref[f"{case}/param/{n}"] for n, _ in net.named_parameters()})
    xs = [ref[f"{case}/x/{k}"] for k in range(len(shapes))]
    ys = net.forward(*xs)
    ys = ys if isinstance(ys, tuple) else (ys,)
    net.zero_grad()
    dxs = net.backward(*[ref[f"{case}/r/{k}"] if g else None for k, g in enumerate(graded)])
    dxs = dxs if isinstance(dxs, tuple) else (dxs,)
    return net, ys, dxs, {n: p.grad.copy() for n, p in net.named_parameters()}


def mismatches(ref, case):
    """What differs from torch beyond the tolerance (an empty list when everything agrees)."""
    _, shapes, _ = CASES[case]
    net, ys, dxs, grads = run_case(ref, case)
    bad = []
    pairs = [(f"y/{k}", y) for k, y in enumerate(ys)] + [(f"grad/x/{k}", d) for k, d in enumerate(dxs)]
    pairs += [(f"grad/param/{n}", g) for n, g in grads.items()]
    for key, got in pairs:
        want = ref[f"{case}/{key}"]
        if got is None or got.shape != want.shape or not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            bad.append(key)
    return bad


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_matches_torch(ref, case):
    assert mismatches(ref, case) == []
    net = build(case)
    assert {n for n, _ in net.named_parameters()} == {k.split("/param/")[1] for k in ref
                                                       if k.startswith(f"{case}/param/")}


def test_the_output_without_gradient_trains_nothing_and_the_shared_encoder_sums_both_uses(ref):
    _, _, _, grads = run_case(ref, "two_outputs_none")
    assert not grads["aux.weight"].any() and not grads["aux.bias"].any() and grads["logits.weight"].any()
    _, _, _, grads = run_case(ref, "shared_twice")
    assert sorted(n for n in grads if n.startswith("e")) == ["e1.0.bias", "e1.0.weight", "e1.2.bias", "e1.2.weight"]


def wrong_multiply_backward(self, G):
    """Negative control: forgets the other factor for the second input."""
    Xs = self._cached("_Xs")
    return G * Xs[1], G.copy()


def test_negative_control_a_wrong_merge_backward_fails_parity_and_gradcheck(ref, monkeypatch):
    assert mismatches(ref, "shared_twice") == []
    net = build("shared_twice")
    xs = (ref["shared_twice/x/0"], ref["shared_twice/x/1"])
    assert layers.gradcheck(net, xs).ok
    monkeypatch.setattr(layers.Multiply, "backward", wrong_multiply_backward)
    bad = mismatches(ref, "shared_twice")
    assert "grad/x/1" in bad and "grad/param/e1.0.weight" in bad
    result = layers.gradcheck(build("shared_twice"), xs, raise_on_fail=False)
    assert not result.ok and result.worst_error > 1e-3
