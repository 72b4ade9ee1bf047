"""A conformance check for layers, for the user's own test suite:

    from kubik.layers.testing import check_layer
    def test_swish():
        check_layer(Swish(), (3, 5))          # raises LayerCheckError naming what failed

``check_layer(layer, input_shape)`` runs what kubik's own tests run on every
layer, on a deep copy (the layer passed in is not changed), with a batch of
shape ``input_shape`` (batch first; for a layer with several inputs a tuple of
batch shapes, ``check_layer(Add(), ((3, 5), (3, 5)))``; several outputs are
checked each):

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


def _outs(Y):
    return Y if isinstance(Y, tuple) else (Y,)


def _float(X, dtype):
    """X in ``dtype`` unless it holds indices."""
    return X if X.dtype.kind in "iu" else X.astype(dtype)


def _upstream(Ys, seed=1):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(Y.shape).astype(Y.dtype) for Y in Ys)


def _accumulate(layer, Xs):
    reset = _replay(layer)
    reset()
    Rs = _upstream(_outs(layer.forward(*Xs)))
    layer.zero_grad()
    layer.backward(*Rs)
    once = [p.grad.copy() for p in layer.parameters()]
    reset()
    layer.forward(*Xs)
    layer.backward(*Rs)
    for (name, p), g in zip(layer.named_parameters(), once):
        if not np.allclose(p.grad, 2 * g, rtol=1e-4, atol=1e-6):
            return f"gradient of {name} after two backward calls is not twice one call's (no +=?)"
    return None


def _output_shape(layer, Xs):
    Ys = _outs(layer.forward(*Xs))
    if len(Ys) != layer.num_outputs:
        return f"forward returns {len(Ys)} output(s), but num_outputs is {layer.num_outputs}"
    shapes = tuple(tuple(X.shape[1:]) for X in Xs)
    want = layer.output_shapes(*shapes)
    got = [tuple(Y.shape[1:]) for Y in Ys]
    if got != want:
        said = want[0] if len(want) == 1 else tuple(want)
        gave = got[0] if len(got) == 1 else tuple(got)
        return f"output_shape{shapes if len(shapes) > 1 else shapes[0]} says {said}, forward gives {gave} per sample"
    X, params = Xs[0], layer.parameters()
    want_dtype = X.dtype if X.dtype.kind == "f" or not params else params[0].data.dtype   # indices: the weights'
    if any(Y.dtype != want_dtype for Y in Ys):
        return f"a {X.dtype} input gives a {Ys[0].dtype if Ys[0].dtype != want_dtype else Ys[-1].dtype} output " \
               f"(float32 must stay float32)"
    return None


def _same(A, B, **tol):
    return all(np.allclose(a, b, **tol) for a, b in zip(_outs(A), _outs(B)))


def _state_dict(layer, Xs):
    layer.eval()
    before = [Y.copy() for Y in _outs(layer.forward(*Xs))]
    for v in layer.state_dict().values():
        if v.dtype.kind == "f":
            v[...] = 0                                   # must be a copy: the layer's outputs must not change
    if not all(np.array_equal(a, b) for a, b in zip(_outs(layer.forward(*Xs)), before)):
        return "state_dict() returns the layer's own arrays, not copies"
    state = layer.state_dict()
    other = copy.deepcopy(layer)
    for p in other.parameters():
        p.data[...] = p.data + 0.5
    other.load_state_dict(state)
    if not _same(tuple(before), other.forward(*Xs), rtol=1e-6, atol=1e-7):
        return "load_state_dict(state_dict()) into a changed copy does not restore the outputs"
    return None


def _astype(layer, Xs):
    layer.eval()
    ref = tuple(Y.copy() for Y in _outs(layer.forward(*Xs)))
    layer.astype(np.float64)
    bad = [n for n, p in layer.named_parameters() if p.data.dtype != np.float64 or p.grad.dtype != np.float64]
    Ys = _outs(layer.forward(*(_float(X, np.float64) for X in Xs)))
    if bad or any(Y.dtype != np.float64 for Y in Ys):
        return f"astype(float64) leaves {', '.join(bad) or 'the output'} in another dtype"
    layer.astype(np.float32)
    Ys = _outs(layer.forward(*Xs))
    if any(Y.dtype != np.float32 for Y in Ys) or not _same(Ys, ref, rtol=1e-5, atol=1e-6):
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


def _batch_of_one(layer, Xs):
    layer.eval()
    full = [Y.copy() for Y in _outs(layer.forward(*Xs))]
    one = _outs(layer.forward(*(X[:1] for X in Xs)))
    for Y1, Y in zip(one, full):
        if Y1.shape != (1,) + Y.shape[1:]:
            return f"a batch of 1 gives shape {Y1.shape}, expected {(1,) + Y.shape[1:]}"
        if not np.allclose(Y1, Y[:1], rtol=1e-5, atol=1e-6):
            return "in eval mode, a batch of 1 differs from the same sample's row of a full batch"
    return None


def _wrong_shapes(shape):
    s = tuple(shape[1:])
    cands = [s + (2,), s[:-1]] if s else [(2,)]
    if s:
        cands.append(s[:-1] + (s[-1] + 1,))
    return [(shape[0],) + c for c in cands]


def _input_shape(layer, Xs):
    """For each input in turn (the others kept right), the shapes output_shape
    rejects must make forward raise a ValueError/TypeError naming the layer."""
    layer.eval()
    shapes = [tuple(X.shape[1:]) for X in Xs]
    for i, X in enumerate(Xs):
        which = f"input {i} of " if len(Xs) > 1 else ""
        for shape in _wrong_shapes(X.shape):
            try:
                layer.output_shape(*(shapes[:i] + [tuple(shape[1:])] + shapes[i + 1:]))
                continue     # the layer accepts this shape
            except (ValueError, TypeError):
                pass
            try:
                layer.forward(*(Xs[:i] + (_input(shape, 2, X.dtype),) + Xs[i + 1:]))
            except (ValueError, TypeError) as e:
                if type(layer).__name__ not in str(e):
                    return f"the error for {which}input shape {shape} does not name the layer: {e}"
                continue
            except Exception as e:
                return f"{which}input shape {shape}: {type(e).__name__} ({e}); expected a ValueError naming the layer"
            return f"output_shape rejects per-sample shape {shape[1:]} for {which or 'the '}input, but forward accepts it"
    return None


def _no_forward(layer, Xs):
    shapes = layer.output_shapes(*(tuple(X.shape[1:]) for X in Xs))
    try:
        layer.backward(*(np.zeros((len(Xs[0]),) + s, np.float32) for s in shapes))
    except Exception as e:
        if isinstance(e, (ValueError, RuntimeError, TypeError)):
            return None
        return f"backward before forward raises {type(e).__name__} ({e}), not a clear error"
    return "backward before any forward returned instead of raising"


def _batch_shapes(input_shape):
    """``input_shape`` as a list of batch shapes (one, or one per input)."""
    several = isinstance(input_shape, (tuple, list)) and len(input_shape) > 0 and \
        all(isinstance(s, (tuple, list)) for s in input_shape)
    shapes = [tuple(int(d) for d in s) for s in input_shape] if several else [tuple(int(d) for d in input_shape)]
    if any(len(s) < 1 or s[0] < 2 for s in shapes) or len({s[0] for s in shapes}) != 1:
        raise ValueError(f"check_layer: input_shape is a batch shape (N, ...) with N >= 2, or a tuple of them "
                         f"with one N, got {input_shape!r}")
    return shapes, several


def check_layer(layer, input_shape=None, tol=1e-5, seed=0, X=None) -> "GradcheckResult":
    """Run every check above on copies of ``layer`` with a random float32
    batch of ``input_shape`` (batch first, at least 2 samples) — or with the
    example batch ``X`` (e.g. integer indices for an Embedding-like layer, whose
    input gets no gradient); raise LayerCheckError listing the failures.

    A layer with several inputs (``forward(X1, X2, ...)``) gets a tuple of
    batch shapes, ``check_layer(Add(), ((3, 4), (3, 4)))``, or a tuple of
    arrays as ``X``; every check then runs on all inputs together (and "input
    shape" tries a wrong shape for each input in turn). A layer with several
    outputs (``num_outputs``) is checked on every output.
    Returns the float64 GradcheckResult."""
    if X is not None:
        several = isinstance(X, tuple)
        Xs = tuple(np.asarray(x) for x in X) if several else (np.asarray(X),)
        _batch_shapes(tuple(x.shape for x in Xs))
    else:
        shapes, several = _batch_shapes(input_shape)
        Xs = tuple(_input(s, seed + i, np.float32) for i, s in enumerate(shapes))
    failures, result = [], None
    try:
        result = gradcheck(copy.deepcopy(layer).train(), Xs if several else Xs[0], tol=tol, seed=seed,
                           raise_on_fail=False)
        if not result.ok:
            failures.append(f"gradcheck: {result}")
    except Exception as e:
        failures.append(f"gradcheck: {type(e).__name__}: {e}")
    checks = [("accumulate", lambda l: _accumulate(l.train(), tuple(_float(X, np.float64) for X in Xs)), True),
              ("output_shape", lambda l: _output_shape(l, Xs), False),
              ("state_dict", lambda l: _state_dict(l, Xs), False),
              ("astype", lambda l: _astype(l, Xs), False),
              ("train/eval", _modes, False),
              ("batch of 1", lambda l: _batch_of_one(l, Xs), False),
              ("input shape", lambda l: _input_shape(l, Xs), False),
              ("no forward", lambda l: _no_forward(l, Xs), False)]
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
