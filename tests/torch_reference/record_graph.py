"""Record torch's numbers for the graphs of tests/test_graph_torch_reference.py.

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_graph.py

For each case of tests/graph_parity_cases.py the kubik net gives only the parameter
names and shapes; weights, inputs and upstream gradients are drawn from numpy
(seeded, float64), and torch computes the same function by hand from those weights
(autograd on leaf tensors, Linear as X W + b in kubik's orientation, Conv2d through
torch.nn.functional with the weight as is). Backward of L = Σ_k Σ Y_k ⊙ R_k, where an
output marked False gets no R (PyTorch's grad_outputs None). Written to
tests/data/torch_graph_reference.npz as '<case>/param/<name>', '<case>/x/<i>',
'<case>/r/<k>', '<case>/y/<k>', '<case>/grad/x/<i>' and '<case>/grad/param/<name>'.
"""
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from graph_parity_cases import CASES, N, build  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_graph_reference.npz"


def lin(P, name, x):
    return x @ P[f"{name}.weight"] + P[f"{name}.bias"]


def fan_out(P, x):
    stem = torch.tanh(lin(P, "stem.0", x))
    a = lin(P, "a", stem)
    b = lin(P, "b.1", torch.sigmoid(stem))
    c = lin(P, "c", stem)
    return [torch.cat([a, b], 1) * c]


def fan_in(P, x):
    s = lin(P, "p", x) + torch.tanh(lin(P, "q.0", x)) + torch.sigmoid(lin(P, "r.0", x))
    return [lin(P, "y", torch.cat([s, x], 1))]


def two_inputs(P, img, side):
    f = F.relu(F.conv2d(img, P["f.0.weight"], P["f.0.bias"], padding=1)).flatten(1)
    return [lin(P, "y", f * lin(P, "v", side))]


def two_outputs(P, x):
    stem = torch.tanh(lin(P, "stem.0", x))
    return [lin(P, "logits", stem), lin(P, "aux", stem)]


def shared_twice(P, x1, x2):
    def enc(x):
        return lin(P, "e1.2", torch.tanh(lin(P, "e1.0", x)))
    return [lin(P, "y", enc(x1) * enc(x2))]


def node_outputs(P, x):
    h = lin(P, "lin", x)
    return [lin(P, "heads.u", h) * lin(P, "heads.w", torch.tanh(h))]


def graph_in_sequential(P, x):
    h = lin(P, "0", x)
    s = lin(P, "1.a", h) + torch.tanh(h)
    return [lin(P, "3", torch.sigmoid(s))]


def sequential_in_graph(P, x):
    body = torch.tanh(lin(P, "body.2", torch.relu(lin(P, "body.0", x))))
    return [lin(P, "y.1", body + lin(P, "skip", x))]


TORCH = {f.__name__: f for f in (fan_out, fan_in, two_inputs, shared_twice, node_outputs,
                                 graph_in_sequential, sequential_in_graph)}
TORCH["two_outputs_none"] = two_outputs


def record():
    arrays = {}
    for i, (case, (_, shapes, graded)) in enumerate(CASES.items()):
        rng = np.random.default_rng(300 + i)
        net = build(case)
        P = {}
        for name, p in net.named_parameters():
            value = rng.standard_normal(p.shape) * 0.7
            arrays[f"{case}/param/{name}"] = value
            P[name] = torch.tensor(value, requires_grad=True)
        xs = [torch.tensor(rng.standard_normal((N,) + s), requires_grad=True) for s in shapes]
        for k, x in enumerate(xs):
            arrays[f"{case}/x/{k}"] = x.detach().numpy().copy()
        ys = TORCH[case](P, *xs)
        total = 0
        for k, (y, g) in enumerate(zip(ys, graded)):
            arrays[f"{case}/y/{k}"] = y.detach().numpy().copy()
            if g:
                R = rng.standard_normal(tuple(y.shape))
                arrays[f"{case}/r/{k}"] = R
                total = total + (y * torch.tensor(R)).sum()
        total.backward()
        for k, x in enumerate(xs):
            arrays[f"{case}/grad/x/{k}"] = x.grad.numpy().copy()
        for name, t in P.items():
            arrays[f"{case}/grad/param/{name}"] = (t.grad if t.grad is not None else torch.zeros_like(t)).numpy().copy()
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({len(arrays)} arrays, torch {torch.__version__})")


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    record()
