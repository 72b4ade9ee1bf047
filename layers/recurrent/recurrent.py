"""The machinery RNN, LSTM and GRU share: parameters, stacking, directions,
dropout between layers, initial and final states, and the two big GEMMs.

Input X: (N, T, F), batch first. Output: the whole sequence (N, T, D·H), with
D = 2 for ``bidirectional`` (forward features first, then reverse ones).
Parameters follow PyTorch's names, in PyTorch's order, per layer k and
direction (suffix '' or '_reverse'):

    weight_ih_l{k}{sfx} (in_k, G·H)   weight_hh_l{k}{sfx} (H, G·H)
    bias_ih_l{k}{sfx}   (G·H,)        bias_hh_l{k}{sfx}   (G·H,)

with G gates (RNN 1, LSTM 4, GRU 3), in_0 = input_size, in_k = D·H. Weights are
stored in kubik's XW orientation: a PyTorch weight is the transpose. All are
initialised U(−1/√H, 1/√H), as PyTorch does.

Per layer and direction, forward does ONE GEMM for the input projection of all
steps, XP = X Wᵢₕ + bᵢₕ (T·N rows), then one small (N, H)·(H, G·H) GEMM per
step inside the cell. Backward walks the steps in reverse (the cell's VJP),
collecting dXP (the gradient of each step's input projection) and dHP (that of
each step's hidden projection Hₜ₋₁ Wₕₕ + bₕₕ), then finishes with three GEMMs
over all steps at once:

    dWᵢₕ += Xᵀ dXP,   dWₕₕ += H₋₁ᵀ dHP,   dX = dXP Wᵢₕᵀ   (+ 1ᵀ dXP, 1ᵀ dHP for the biases)

Internally the sequence is time-major (T, N, ·), so each step reads and writes
contiguous (N, ·) blocks. Memory kept for backward, per layer and direction:
the layer input (T·N·in), the hidden states (T+1)·N·H and the cell's gate
values, O(N·T·G·H) in all.

States: ``h0`` (and ``c0`` for LSTM) are attributes, None (zeros) by default or
arrays (num_layers·D, N, H) as PyTorch's; ``set_initial_state(h0, c0=None)``
sets them (they stay until reset to None). After forward, ``h_n`` (and ``c_n``)
hold the final states, shaped the same; after backward, ``grad_h0`` (and
``grad_c0``) hold the gradient of the loss with respect to the initial states.
Dropout with probability ``dropout`` is applied to the output of every layer
but the last, in training mode only.
"""
import numpy as np

from ..core.layer import Layer
from ..core.random import get_rng
from .recurrent_backward import RecurrentBackward
from ..runtime.scratch import recycled


def steps(T, reverse):
    """(t, prev, cur) in processing order: the state before step t is Hs[prev],
    the state after it Hs[cur]; Hs has T+1 slots (h0 in slot 0, or T when reversed)."""
    return [(t, t + 1, t) for t in range(T - 1, -1, -1)] if reverse else [(t, t, t + 1) for t in range(T)]


def _positive_int(owner, name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {v!r}")
    return int(v)


class Recurrent(RecurrentBackward, Layer):
    """Base class; subclasses set GATES and HAS_CELL and implement
    ``_run(XP, Hs, Cs, Whh, bhh, reverse)`` and ``_unrun(cache, dOut, dh, dc, Whh, dXP, reverse)``."""

    GATES = 1
    HAS_CELL = False

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, dropout=0.0,
                 bidirectional=False, rng=None, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        self.input_size = _positive_int(name, "input_size", input_size)
        self.hidden_size = H = _positive_int(name, "hidden_size", hidden_size)
        self.num_layers = _positive_int(name, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.dropout, self.bias, self.bidirectional = float(dropout), bool(bias), bool(bidirectional)
        self.num_directions = 2 if self.bidirectional else 1
        rng = get_rng(rng)
        self.rng = None if rng is get_rng() else rng   # dropout masks: the package generator unless given
        k, GH = 1.0 / np.sqrt(H), self.GATES * H
        self._weights = []   # per (layer, direction): (Wih, Whh, bih, bhh) Parameters
        for layer in range(self.num_layers):
            fan_in = self.input_size if layer == 0 else H * self.num_directions
            for sfx in ("", "_reverse")[:self.num_directions]:
                shapes = [("weight_ih", (fan_in, GH)), ("weight_hh", (H, GH))]
                shapes += [("bias_ih", (GH,)), ("bias_hh", (GH,))] if self.bias else []
                ps = [self.add_parameter(f"{n}_l{layer}{sfx}", rng.uniform(-k, k, s).astype(dtype)) for n, s in shapes]
                self._weights.append(tuple(ps) + (None, None)[:4 - len(ps)])
        self.h0 = self.c0 = None
        self.h_n = self.c_n = self.grad_h0 = self.grad_c0 = None

    @classmethod
    def infer_args(cls, input_shape):
        return {"input_size": input_shape[-1]}

    def output_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] != self.input_size:
            raise self._shape_error(f"(T, {self.input_size}) per sample", tuple(input_shape))
        return (input_shape[0], self.hidden_size * self.num_directions)

    def set_initial_state(self, h0=None, c0=None):
        """Initial hidden (and cell) states, (num_layers·D, N, H) each, or None for zeros."""
        self.h0 = None if h0 is None else np.asarray(h0)
        if c0 is not None and not self.HAS_CELL:
            raise ValueError(f"{self!r}: has no cell state; c0 must be None")
        self.c0 = None if c0 is None else np.asarray(c0)
        return self

    def _initial(self, state, N, dtype, label):
        shape = (self.num_layers * self.num_directions, N, self.hidden_size)
        if state is None:
            return np.zeros(shape, dtype)
        if state.shape != shape:
            raise ValueError(f"{self!r}: {label} has shape {state.shape}, expected {shape} (num_layers*directions, N, hidden_size)")
        return state.astype(dtype, copy=False)

    # -- forward --------------------------------------------------------------------
    def forward(self, X):
        if getattr(X, "ndim", 0) != 3 or X.shape[-1] != self.input_size:
            raise self._shape_error(f"(N, T, {self.input_size})", X)
        N, T, _ = X.shape
        if T == 0:
            raise ValueError(f"{self!r}: the sequence is empty (T = 0)")
        dtype, H, D = self.weight_ih_l0.dtype, self.hidden_size, self.num_directions
        h0 = self._initial(self.h0, N, dtype, "h0")
        c0 = self._initial(self.c0, N, dtype, "c0") if self.HAS_CELL else None
        h_n, c_n = np.empty_like(h0), (np.empty_like(c0) if self.HAS_CELL else None)
        inp = np.ascontiguousarray(X.transpose(1, 0, 2), dtype=dtype)   # (T, N, F)
        self._layers = []   # drops the previous step's arrays: recycled below (no page faults)
        for layer in range(self.num_layers):
            out = recycled(self, f"out{layer}", dtype, shape=(T, N, D * H))
            dirs = []
            for d in range(D):
                idx = layer * D + d
                Wih, Whh, bih, bhh = self._weights[idx]
                XP = recycled(self, f"XP{idx}", dtype, shape=(T, N, Wih.shape[1]))
                np.matmul(inp.reshape(T * N, inp.shape[2]), Wih.data, out=XP.reshape(T * N, Wih.shape[1]))
                if bih is not None:
                    XP += bih.data
                Hs = recycled(self, f"Hs{idx}", dtype, shape=(T + 1, N, H))
                Hs[T if d else 0] = h0[idx]
                Cs = None
                if self.HAS_CELL:
                    Cs = recycled(self, f"Cs{idx}", dtype, shape=(T + 1, N, H))
                    Cs[T if d else 0] = c0[idx]
                cache = self._run(XP, Hs, Cs, Whh.data, None if bhh is None else bhh.data, bool(d))
                seq = Hs[:-1] if d else Hs[1:]
                out[..., d * H:(d + 1) * H] = seq
                h_n[idx] = Hs[0 if d else T]
                if self.HAS_CELL:
                    c_n[idx] = Cs[0 if d else T]
                dirs.append((Hs, cache))
            mask = None
            if self.training and self.dropout and layer < self.num_layers - 1:
                mask = (get_rng(self.rng).random(out.shape) >= self.dropout).astype(dtype)
                mask *= 1.0 / (1.0 - self.dropout) if self.dropout < 1 else 0.0
                out *= mask
            self._layers.append((inp, dirs, mask))
            inp = out
        self.h_n, self.c_n = h_n, c_n
        Y = recycled(self, "Y", dtype, shape=(N, T, D * H))
        np.copyto(Y, inp.transpose(1, 0, 2))
        return Y

    def _astype_hook(self, dtype):
        self._layers = None

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s
