"""What RNNCell, GRUCell and LSTMCell share: one step of a recurrence as a layer with
several inputs, ``forward(X, H[, C])``, whose backward returns one gradient per input.

Parameters as PyTorch's nn.RNNCell / GRUCell / LSTMCell, in kubik's XW orientation (a
PyTorch weight is the transpose): ``weight_ih`` (input_size, G·H), ``weight_hh`` (H, G·H),
``bias_ih``, ``bias_hh`` (G·H,), with G gates in PyTorch's order; all U(−1/√H, 1/√H).

Every step ends with the same products, from the gradients dXP of the input projection
X Wᵢₕ + bᵢₕ and dHP of the hidden projection H Wₕₕ + bₕₕ (the cell's own VJP gives both):

    dWᵢₕ += Xᵀ dXP,  dWₕₕ += Hᵀ dHP,  dbᵢₕ += 1ᵀ dXP,  dbₕₕ += 1ᵀ dHP,
    dX = dXP Wᵢₕᵀ,   dH = dHP Wₕₕᵀ (+ the cell's direct path)

States left out (``forward(X)``) are zeros, and backward then returns dX alone. A cell
keeps the cache of its last forward: an unrolled loop that backpropagates uses one
``shared()`` copy per step (``Layer.shared``: the same Parameter objects, so the gradients of every step add
up: Torch7's clone('weight', 'bias')).
"""
import numpy as np

from ..core.layer import Layer
from ..core.random import get_rng


def sigmoid(x):
    """σ(x) = (1 + tanh(x/2)) / 2: no overflow for large |x|."""
    return 0.5 * (1 + np.tanh(0.5 * x))


def _positive_int(owner, name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {v!r}")
    return int(v)


class Cell(Layer):
    """Base class; subclasses set GATES and STATES (1: H; 2: H and C) and implement ``_step``
    (forward from the projections, returning outputs and a cache) and ``_unstep`` (the VJP
    back to dXP, dHP and the direct gradients of the states)."""

    GATES = 1
    STATES = 1

    def __init__(self, input_size, hidden_size, bias=True, rng=None, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        self.input_size = _positive_int(name, "input_size", input_size)
        self.hidden_size = H = _positive_int(name, "hidden_size", hidden_size)
        k, GH = 1.0 / np.sqrt(H), self.GATES * H
        rng = get_rng(rng)
        shapes = [("weight_ih", (self.input_size, GH)), ("weight_hh", (H, GH))]
        shapes += [("bias_ih", (GH,)), ("bias_hh", (GH,))] if bias else []
        for n, s in shapes:
            self.add_parameter(n, rng.uniform(-k, k, s).astype(dtype))
        if not bias:
            self.bias_ih = self.bias_hh = None

    @classmethod
    def infer_args(cls, input_shape, *state_shapes):
        return {"input_size": input_shape[-1]}

    def output_shape(self, input_shape, *state_shapes):
        H = (self.hidden_size,)
        if tuple(input_shape) != (self.input_size,) or len(state_shapes) not in (0, self.STATES) \
                or any(tuple(s) != H for s in state_shapes):
            states = ", H (hidden_size,)" + (", C (hidden_size,)" if self.STATES == 2 else "")
            raise self._shape_error(f"X ({self.input_size},) per sample{states} (or X alone)",
                                    (tuple(input_shape),) + tuple(tuple(s) for s in state_shapes))
        return H if self.STATES == 1 else (H, H)

    # -- forward / backward ---------------------------------------------------------------
    def _states(self, X, states):
        N, H = len(X), self.hidden_size
        if getattr(X, "ndim", 0) != 2 or X.shape[1] != self.input_size:
            raise self._shape_error(f"X (N, {self.input_size})", X)
        if not states:
            return [np.zeros((N, H), X.dtype) for _ in range(self.STATES)]
        if len(states) != self.STATES:
            names = "H" if self.STATES == 1 else "H and C"
            raise TypeError(f"{self!r}: give the state{'s' if self.STATES > 1 else ''} {names} or none, got "
                            f"{len(states)} state input(s)")
        for name, S in zip("HC", states):
            if getattr(S, "shape", None) != (N, H):
                raise ValueError(f"{self!r}: {name} must have shape ({N}, {H}) (N, hidden_size), got "
                                 f"{getattr(S, 'shape', type(S).__name__)}")
        return [S if S.dtype == X.dtype else S.astype(X.dtype) for S in states]

    def forward(self, X, *states):
        given = len(states)
        states = self._states(X, states)
        XP = X @ self.weight_ih.data
        HP = states[0] @ self.weight_hh.data
        if self.bias_ih is not None:
            XP += self.bias_ih.data
            HP += self.bias_hh.data
        outs, cache = self._step(XP, HP, states)
        self._cache = (X, states[0], given, cache)
        return outs

    def backward(self, *grads):
        X, H, given, cache = self._cached("_cache")
        want = (len(X), self.hidden_size)
        if len(grads) != self.STATES or any(getattr(G, "shape", None) != want for G in grads):
            raise ValueError(f"{self!r}: backward takes {self.STATES} gradient(s) of shape {want}, got "
                             f"{[getattr(G, 'shape', None) for G in grads]}")
        dXP, dHP, direct = self._unstep(grads, cache)
        self.weight_ih.accumulate_matmul(X.T, dXP)
        self.weight_hh.accumulate_matmul(H.T, dHP)
        if self.bias_ih is not None:
            ones = np.ones(len(X), dXP.dtype)
            self.bias_ih.accumulate_matmul(ones, dXP)
            self.bias_hh.accumulate_matmul(ones, dHP)
        if not self.propagate_down:
            return None
        dX = dXP @ self.weight_ih.data.T
        if not given:
            return dX
        dH = dHP @ self.weight_hh.data.T
        if direct[0] is not None:
            dH += direct[0]
        return (dX, dH) + tuple(direct[1:])

    def _astype_hook(self, dtype):
        self._cache = None

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias_ih is not None else ", bias=False")
