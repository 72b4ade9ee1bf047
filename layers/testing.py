"""A conformance check for layers, for the user's own test suite:

    from kubik.layers.testing import check_layer
    def test_swish():
        check_layer(Swish(), (3, 5))          # raises LayerCheckError naming what failed

``check_layer(layer, input_shape)`` runs what kubik's own tests run on every
layer, on a deep copy (the layer passed in is not changed), with a batch of
shape ``input_shape`` (batch first):

    gradcheck      float64 finite differences of the input and every parameter
    accumulate     two backward calls add up: parameter grads equal twice one call's
    output_shape   output_shape(per-sample shape) agrees with forward's output
    state_dict     copies, and a round trip into a changed copy restores the outputs
    astype         float64 and back to float32: outputs and parameters follow
    train/eval     train()/eval() return the layer and set ``training`` on every child
    batch of 1     a single sample works and (in eval mode) equals its row of a full batch
    input shape    where output_shape rejects a shape, forward raises a ValueError/TypeError
                   naming the layer (not an IndexError from deep inside numpy)
    no forward     backward before any forward is a clear error

Randomness (dropout) is replayed: every forward of a check sees the same stream.
"""
import copy

import numpy as np

from .core import random as krandom
from .core.gradcheck import _generators, gradcheck


class LayerCheckError(AssertionError):
    """A layer that breaks the Layer contract; the message lists every failed check."""


def _replay(layer):
    """A function that resets every random generator the layer may draw from."""
    gens = [krandom.get_rng()] + _generators(layer)
    states = [g.bit_generator.state for g in gens]

    def reset():
        for g, s in zip(gens, states):
            g.bit_generator.state = s
    return reset


def _input(shape, seed, dtype):
    X = np.random.default_rng(seed).standard_normal(shape)
    return (X + 0.1 * np.sign(X)).astype(dtype)     # away from 0, where ReLU-like layers have kinks


def _accumulate(layer, X):
    reset = _replay(layer)
    reset()
    Y = layer.forward(X)
    R = np.random.default_rng(1).standard_normal(Y.shape).astype(Y.dtype)
    layer.zero_grad()
    layer.backward(R)
    once = [p.grad.copy() for p in layer.parameters()]
    reset()
    layer.forward(X)
    layer.backward(R)
    for (name, p), g in zip(layer.named_parameters(), once):
        if not np.allclose(p.grad, 2 * g, rtol=1e-4, atol=1e-6):
            return f"gradient of {name} after two backward calls is not twice one call's (no +=?)"
    return None


def _output_shape(layer, X):
    Y = layer.forward(X)
    want = tuple(layer.output_shape(tuple(X.shape[1:])))
    if tuple(Y.shape[1:]) != want:
        return f"output_shape{tuple(X.shape[1:])} says {want}, forward gives {tuple(Y.shape[1:])} per sample"
    params = layer.parameters()
    want_dtype = X.dtype if X.dtype.kind == "f" or not params else params[0].data.dtype   # indices: the weights'
    if Y.dtype != want_dtype:
        return f"a {X.dtype} input gives a {Y.dtype} output (float32 must stay float32)"
    return None


def _state_dict(layer, X):
    layer.eval()
    before = layer.forward(X)
    for v in layer.state_dict().values():
        if v.dtype.kind == "f":
            v[...] = 0                                   # must be a copy: the layer's outputs must not change
    if not np.array_equal(layer.forward(X), before):
        return "state_dict() returns the layer's own arrays, not copies"
    state = layer.state_dict()
    other = copy.deepcopy(layer)
    for p in other.parameters():
        p.data[...] = p.data + 0.5
    other.load_state_dict(state)
    after = other.forward(X)
    if not np.allclose(before, after, rtol=1e-6, atol=1e-7):
        return "load_state_dict(state_dict()) into a changed copy does not restore the outputs"
    return None


def _astype(layer, X):
    layer.eval()
    ref = layer.forward(X)
    layer.astype(np.float64)
    bad = [n for n, p in layer.named_parameters() if p.data.dtype != np.float64 or p.grad.dtype != np.float64]
    Y = layer.forward(X if X.dtype.kind in "iu" else X.astype(np.float64))
    if bad or Y.dtype != np.float64:
        return f"astype(float64) leaves {', '.join(bad) or 'the output'} in another dtype"
    layer.astype(np.float32)
    Y = layer.forward(X)
    if Y.dtype != np.float32 or not np.allclose(Y, ref, rtol=1e-5, atol=1e-6):
        return "astype(float64) then astype(float32) changes the outputs"
    return None


def _modes(layer):
    def all_modes(l):
        return [l.training] + [m for c in l.children() for m in all_modes(c)]
    if layer.eval() is not layer or any(all_modes(layer)):
        return "eval() must return the layer and set training=False on it and every child"
    if layer.train() is not layer or not all(all_modes(layer)):
        return "train() must return the layer and set training=True on it and every child"
    return None


def _batch_of_one(layer, X):
    layer.eval()
    full = layer.forward(X)
    one = layer.forward(X[:1])
    if one.shape != (1,) + full.shape[1:]:
        return f"a batch of 1 gives shape {one.shape}, expected {(1,) + full.shape[1:]}"
    if not np.allclose(one, full[:1], rtol=1e-5, atol=1e-6):
        return "in eval mode, a batch of 1 differs from the same sample's row of a full batch"
    return None


def _wrong_shapes(shape):
    s = tuple(shape[1:])
    cands = [s + (2,), s[:-1]] if s else [(2,)]
    if s:
        cands.append(s[:-1] + (s[-1] + 1,))
    return [(shape[0],) + c for c in cands]


def _input_shape(layer, X):
    layer.eval()
    for shape in _wrong_shapes(X.shape):
        try:
            layer.output_shape(tuple(shape[1:]))
            continue     # the layer accepts this shape
        except (ValueError, TypeError):
            pass
        try:
            layer.forward(_input(shape, 2, X.dtype))
        except (ValueError, TypeError) as e:
            if type(layer).__name__ not in str(e):
                return f"the error for input shape {shape} does not name the layer: {e}"
            continue
        except Exception as e:
            return f"input shape {shape}: {type(e).__name__} ({e}); expected a ValueError naming the layer"
        return f"output_shape rejects per-sample shape {shape[1:]}, but forward accepts it"
    return None


def _no_forward(layer, X):
    out_shape = (len(X),) + tuple(layer.output_shape(tuple(X.shape[1:])))
    try:
        layer.backward(np.zeros(out_shape, np.float32))
    except Exception as e:
        if isinstance(e, (ValueError, RuntimeError, TypeError)):
            return None
        return f"backward before forward raises {type(e).__name__} ({e}), not a clear error"
    return "backward before any forward returned instead of raising"


def check_layer(layer, input_shape=None, tol=1e-5, seed=0, X=None) -> "GradcheckResult":
    """Run every check above on copies of ``layer`` with a random float32
    batch of ``input_shape`` (batch first, at least 2 samples) — or with the
    example batch ``X`` (e.g. integer indices for an Embedding-like layer, whose
    input gets no gradient); raise LayerCheckError listing the failures.
    Returns the float64 GradcheckResult."""
    if X is not None:
        X = np.asarray(X)
        input_shape = X.shape
    shape = tuple(int(d) for d in input_shape)
    if len(shape) < 1 or shape[0] < 2:
        raise ValueError(f"check_layer: input_shape is a batch shape (N, ...) with N >= 2, got {input_shape!r}")
    if X is None:
        X = _input(shape, seed, np.float32)
    failures, result = [], None
    try:
        result = gradcheck(copy.deepcopy(layer).train(), X, tol=tol, seed=seed, raise_on_fail=False)
        if not result.ok:
            failures.append(f"gradcheck: {result}")
    except Exception as e:
        failures.append(f"gradcheck: {type(e).__name__}: {e}")
    checks = [("accumulate", lambda l: _accumulate(l.train(), X if X.dtype.kind in "iu" else X.astype(np.float64)), True),
              ("output_shape", lambda l: _output_shape(l, X), False),
              ("state_dict", lambda l: _state_dict(l, X), False),
              ("astype", lambda l: _astype(l, X), False),
              ("train/eval", _modes, False),
              ("batch of 1", lambda l: _batch_of_one(l, X), False),
              ("input shape", lambda l: _input_shape(l, X), False),
              ("no forward", lambda l: _no_forward(l, X), False)]
    for name, check, float64 in checks:
        l = copy.deepcopy(layer)
        if float64:
            l.astype(np.float64)
        try:
            problem = check(l)
        except Exception as e:
            problem = f"{type(e).__name__}: {e}"
        if problem:
            failures.append(f"{name}: {problem}")
    if failures:
        raise LayerCheckError(f"check_layer {type(layer).__name__}: {len(failures)} check(s) failed: "
                              + "; ".join(failures))
    return result
