"""Layer: the contract every block of kubik honours.

    Y  = layer.forward(X)        # caches what backward needs
    dX = layer.backward(dY)      # vector-Jacobian product; dX.shape == X.shape,
                                 # and each Parameter.grad += dL/dparameter

A layer never builds a Jacobian: backward applies the adjoint of forward's
differential to ``dY`` with matrix and elementwise products of cached values.

Subclasses call ``add_parameter`` / ``add_buffer`` / ``add_child`` in
``__init__`` (explicit registration, no ``__setattr__`` magic) and implement
``forward``, ``backward`` and, if the shape changes, ``output_shape``.
Shapes passed to ``output_shape`` are per sample (without the batch axis).

``propagate_down`` (Caffe's name) is True by default; when a caller sets it
False (``set_propagate_down(False)``, e.g. for the first layer of a net, whose
input is data), the layer may skip computing dX and return None from backward.
Linear and Conv2d do, saving a whole GEMM per step.

Several inputs, several outputs (merge layers, cells, graphs):

    Y = layer.forward(X1, X2, ...)        # inputs positionally
    dX1, dX2, ... = layer.backward(G)     # one gradient per input, a tuple in input order
    Y1, Y2 = layer.forward(X)             # num_outputs > 1: a tuple of outputs
    dX = layer.backward(G1, G2)           # one gradient per output, in output order

A layer with several outputs says so with ``num_outputs`` (a class or instance
attribute; 1 by default) and its ``output_shape(*input_shapes)`` returns a tuple
of that many per-sample shapes; ``output_shapes(*input_shapes)`` gives a list of
shapes for any layer. An output that gets no gradient from the loss receives
zeros (as PyTorch materializes them for a custom Function), never None, so a
layer's backward needs no special case. With ``propagate_down`` False a
multi-input layer may return None (or None entries) instead of the tuple.

Input policy, applied to every positional array input of every layer's
``forward`` by ``Layer.__init_subclass__`` (so a new layer gets it without code):

- dtype: a layer with parameters (or float buffers) casts an input array of
  another dtype to its own (float64 data into a float32 net gives float32
  outputs; ints become floats); a container casts to its first parametrized
  child's dtype (so a Residual's skip path matches); parameter-free layers
  keep the input dtype.
  ``astype(np.float64)`` (gradcheck) moves the layer and its input policy together.
- empty batch: a leaf layer refuses an input with 0 samples with a ValueError
  naming the layer (and which input, when there are several; losses do the
  same), rather than returning NaNs or failing deep inside NumPy.
- kind: an array of Python objects, strings, bytes, dates or time spans (or
  structured records) is a TypeError naming the layer (and which input) and the
  dtype, rather than NaNs (``np.array([[None] * 4])`` cast to float) or numpy's
  own error; numbers and booleans are taken.
- keyword arguments (e.g. a mask) are passed as they are.
"""
import functools
from typing import List, Optional, Tuple

import numpy as np

from .parameter import Parameter
from .spec import entry, record_init, recording


def read_cache(owner, names):
    """The attributes ``names`` of ``owner`` (one value, or a tuple for several),
    cached by its forward; RuntimeError if forward has not run (shared by
    layers and losses)."""
    if len(names) == 1:  # the common case, kept cheap: it runs on every backward
        value = getattr(owner, names[0], None)
        if value is not None:
            return value
    values = tuple(getattr(owner, n, None) for n in names)
    if any(v is None for v in values):
        raise RuntimeError(f"{owner!r}: backward called before forward")
    return values if len(values) > 1 else values[0]


NOT_NUMBERS = {"O": "Python objects", "U": "strings", "S": "bytes", "M": "dates", "m": "time spans",
               "V": "structured records"}


def _admit(layer, X, which):
    """One positional input under the input policy: not numbers or an empty batch refused,
    the dtype cast (``which``: "" for a single input, " 1" for input 1)."""
    if X.dtype.kind in NOT_NUMBERS:
        raise TypeError(f"{type(layer).__name__}: got an array of {NOT_NUMBERS[X.dtype.kind]} "
                        f"(dtype {X.dtype}{', input' + which if which else ''}); layers take numbers (or booleans)")
    if X.ndim and not X.shape[0] and not layer._children:
        raise ValueError(f"{type(layer).__name__}: got an empty batch (input{which} of shape {X.shape}, "
                         f"0 samples); give at least one sample")
    if layer._param_names or layer._buffer_names or layer._children:
        dtype = layer.input_dtype()         # parameter-free leaves: no cast
        if dtype is not None and X.dtype != dtype:
            X = X.astype(dtype)
    return X


def checked_forward(forward):
    """``forward`` wrapped with the input policy of the module docstring,
    applied to every positional array input."""
    @functools.wraps(forward)
    def wrapper(self, X, *args, **kwargs):
        if args:
            args = tuple(_admit(self, A, f" {i}") if isinstance(A, np.ndarray) else A
                         for i, A in enumerate(args, 1))
            if isinstance(X, np.ndarray):
                X = _admit(self, X, " 0")
        elif isinstance(X, np.ndarray):      # the common case, written out: it runs on every forward
            if X.dtype.kind in NOT_NUMBERS or (X.ndim and not X.shape[0] and not self._children):
                _admit(self, X, "")                                         # raises
            if self._param_names or self._buffer_names or self._children:
                dtype = self.input_dtype()
                if dtype is not None and X.dtype != dtype:
                    X = X.astype(dtype)
        return forward(self, X, *args, **kwargs)
    wrapper.checks_input = True
    return wrapper


class Layer:
    """Base class of all layers and containers. The contract::

        Y  = layer.forward(X)      # X: (N, ...) batch first; caches what backward needs
        dX = layer.backward(G)     # G = dL/dY, shaped like Y; dX = dL/dX, shaped like X;
                                   # each Parameter.grad += dL/dparameter

    backward is a vector-Jacobian product from cached values, never a Jacobian.
    Subclasses register state with ``add_parameter`` / ``add_buffer`` /
    ``add_child`` in ``__init__`` and override ``forward``, ``backward`` and,
    when the shape changes, ``output_shape`` (per-sample shapes).
    """

    num_outputs = 1     # a layer whose forward returns a tuple of k outputs sets k

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        forward = cls.__dict__.get("forward")
        if forward is not None and not getattr(forward, "checks_input", False):
            cls.forward = checked_forward(forward)
        record_init(cls)      # its constructor arguments, for spec(): layers/core/spec.py

    def spec(self):
        """This layer as an entry of a config's ``model`` list, from its constructor's
        arguments: ``{"Linear": {"in_features": 64, "out_features": 10}}``, ``"ReLU"``
        (containers: their children's entries). ``layers.SpecError`` names the layer and
        the argument when it cannot be written (an array argument, an unregistered class)."""
        from .registry import LAYERS
        return entry(self, LAYERS)

    def input_dtype(self):
        """The dtype inputs are cast to: the first parameter's, else the first
        float buffer's, else a child's, else None (the input's dtype is kept)."""
        if self._param_names:
            return getattr(self, self._param_names[0]).data.dtype
        for n in self._buffer_names:
            b = getattr(self, n)
            if b.dtype.kind == "f":
                return b.dtype
        for _, child in self._children:     # a container: its first child that has one
            dtype = child.input_dtype()
            if dtype is not None:
                return dtype
        return None

    def __init__(self):
        self.training = True
        self.propagate_down = True
        self._param_names = []   # attribute names holding Parameters
        self._buffer_names = []  # attribute names holding arrays saved in state_dict
        self._children = []      # (name, Layer) in order

    # -- registration -------------------------------------------------------
    def add_parameter(self, name, data, **options):
        """Create ``Parameter(data)``, store it as attribute ``name`` and return it."""
        p = data if isinstance(data, Parameter) else Parameter(data, **options)
        setattr(self, name, p)
        if name not in self._param_names:
            self._param_names.append(name)
        return p

    def add_buffer(self, name, array):
        """Store a non-trainable array (e.g. running statistics) saved in state_dict."""
        setattr(self, name, np.array(array, order="C"))  # a copy; 0-d stays 0-d
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        return getattr(self, name)

    def add_child(self, name, layer):
        """Register ``layer`` as child ``name`` (its parameters become this layer's) and return it."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{type(self).__name__}: child {name!r} must be a Layer, got {type(layer).__name__}")
        self._children.append((str(name), layer))
        return layer

    def set_propagate_down(self, flag=True):
        """Say whether backward must compute dX (containers pass it to their first child)."""
        self.propagate_down = bool(flag)
        return self

    def shared(self) -> "Layer":
        """A copy for another use in the same forward (an unrolled step, a Siamese branch): the
        same Parameters (gradients of every use add up), buffers and generators, its own caches
        (layers/core/sharing.py)."""
        from .sharing import replica
        return replica(self)

    def children(self):
        """The child layers, in registration order."""
        return [c for _, c in self._children]

    # -- the contract ---------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute ``Y = f(X)`` for a batch (axis 0) and cache what backward needs.
        A layer with several inputs takes them positionally, ``forward(X1, X2, ...)``;
        one with several outputs (``num_outputs``) returns a tuple."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, grad_Y: np.ndarray) -> Optional[np.ndarray]:
        """The vector-Jacobian product ``dX = J(X)^T dY`` from the cached values;
        adds dL/dparameter into each ``Parameter.grad``. ``dX.shape == X.shape``
        (None when ``propagate_down`` is False and the layer skips dX).
        Several inputs: returns the tuple ``(dX1, dX2, ...)``; several outputs:
        takes one gradient per output, ``backward(G1, G2, ...)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    def output_shape(self, input_shape: Tuple[int, ...]) -> Tuple[int, ...]:
        """Per-sample output shape for a per-sample input shape (default: same).
        A layer with several inputs takes one shape per input,
        ``output_shape(shape1, shape2, ...)``; one with several outputs
        (``num_outputs`` > 1) returns a tuple of ``num_outputs`` shapes."""
        return tuple(input_shape)

    def output_shapes(self, *input_shapes) -> List[Tuple[int, ...]]:
        """The per-sample shape of every output, as a list (one entry for a
        single-output layer): ``output_shape`` read the same way for any layer."""
        out = self.output_shape(*(tuple(s) for s in input_shapes))
        if self.num_outputs == 1:
            return [tuple(out)]
        out = list(out)
        if len(out) != self.num_outputs or not all(isinstance(s, (tuple, list)) for s in out):
            raise TypeError(f"{type(self).__name__}.output_shape must return a tuple of {self.num_outputs} "
                            f"shapes (num_outputs = {self.num_outputs}), got {out!r}")
        return [tuple(s) for s in out]

    @classmethod
    def infer_args(cls, input_shape, *more_shapes):
        """Constructor arguments a config may leave out, inferred from the
        per-sample input shape (e.g. Linear's ``in_features``); a layer with
        several inputs gets one shape per input."""
        return {}

    # -- helpers for subclasses -------------------------------------------------
    def _cached(self, *names):
        """Values cached by forward; a clear error if forward has not run."""
        return read_cache(self, names)

    def _shape_error(self, expected, got):
        """ValueError naming the layer, the expected and the actual shape.
        ``got`` is an array (its shape is shown, never its values: a list too) or a shape tuple."""
        if not isinstance(got, tuple):
            try:
                got = tuple(np.shape(got))
            except ValueError:        # a ragged list
                got = f"a ragged {type(got).__name__}"
        return ValueError(f"{self!r}: expected input of shape {expected}, got {got}")

    # -- parameters ---------------------------------------------------------------
    def named_parameters(self, prefix: str = "") -> List[Tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs of this layer and its children, in order."""
        out = [(prefix + n, getattr(self, n)) for n in self._param_names]
        for cname, child in self._children:
            out.extend(child.named_parameters(f"{prefix}{cname}."))
        return out

    def parameters(self) -> List[Parameter]:
        """Every Parameter of this layer and its children, in order."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix=""):
        """(dotted name, array) pairs of the non-trainable buffers (e.g. running statistics)."""
        out = [(prefix + n, getattr(self, n)) for n in self._buffer_names]
        for cname, child in self._children:
            out.extend(child.named_buffers(f"{prefix}{cname}."))
        return out

    def flatten_parameters(self) -> Tuple[np.ndarray, np.ndarray]:
        """Make every parameter's ``data``/``grad`` a view of one flat array
        (returns ``(flat_data, flat_grad)``); see layers/runtime/flat.py. Arrays taken
        before the call are no longer the weights."""
        from ..runtime.flat import flatten_parameters
        return flatten_parameters(self.parameters(), f"{type(self).__name__}.flatten_parameters")

    def num_parameters(self) -> int:
        """The number of trainable scalars (sum of the parameters' sizes)."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Mark every parameter gradient zero (lazily: see ``Parameter.zero_grad``)."""
        for p in self.parameters():
            p.zero_grad()

    # -- modes --------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Layer":
        """Set training mode (dropout active, batch statistics) here and in every child; returns self."""
        self.training = bool(mode)
        for _, child in self._children:
            child.train(mode)
        return self

    def eval(self) -> "Layer":
        """Set evaluation mode, ``train(False)``; returns self."""
        return self.train(False)

    # -- state ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Copies of every parameter value and buffer, by dotted name."""
        state = {n: p.data.copy() for n, p in self.named_parameters()}
        state.update((n, np.array(b, copy=True)) for n, b in self.named_buffers())
        return state

    def load_state_dict(self, state: dict) -> "Layer":
        """Load values in place. Names, shapes and dtypes must match exactly;
        nothing is changed unless everything matches."""
        targets = {n: p.data for n, p in self.named_parameters()}
        targets.update(self.named_buffers())
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if missing or unexpected:
            raise ValueError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, dst in targets.items():
            src = np.asarray(state[name])
            if src.shape != dst.shape:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name!r} has shape {src.shape}, expected {dst.shape}")
            if src.dtype != dst.dtype:
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name!r} has dtype {src.dtype}, expected {dst.dtype}")
        for name, dst in targets.items():
            dst[...] = state[name]
        return self

    def astype(self, dtype):
        """Convert parameters, gradients and buffers to ``dtype`` (e.g. float64 for gradcheck)."""
        dtype = np.dtype(dtype)
        for n in self._param_names:
            getattr(self, n).astype(dtype)
        for n in self._buffer_names:  # float statistics follow; integer counters stay integers
            b = getattr(self, n)
            if b.dtype.kind == "f":
                setattr(self, n, b.astype(dtype))
        for _, child in self._children:
            child.astype(dtype)
        self._astype_hook(dtype)
        return self

    def _astype_hook(self, dtype):
        """Subclasses with dtype-dependent caches (e.g. reused buffers) reset them here."""

    # -- printing -------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown inside ``repr(layer)``, e.g. ``in_features=4, out_features=3``."""
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


Layer.__init__ = recording(Layer.__init__)      # a subclass without its own __init__ records its call too
