"""Branching containers: Residual (x + f(x)) and Concat (branches side by side)."""
import numpy as np

from ...layers import Layer, register

from .sequential import _reraise, describe
from .spec import concat_spec, residual_spec

_USER_ERRORS = (ValueError, TypeError, RuntimeError)


def _cached(container, *names):
    """Layer._cached with a one-line message (a container's repr spans lines)."""
    if any(getattr(container, n, None) is None for n in names):
        raise RuntimeError(f"{type(container).__name__}: backward called before forward")
    return container._cached(*names)


def _run(container, name, child, method, arg):
    """child.method(arg), re-raising a user error as "Container[name] (Type): ..."."""
    try:
        return getattr(child, method)(arg)
    except _USER_ERRORS as e:
        _reraise(container, name, child, e)


def _propagate_to_all(container, flag=True):
    """set_propagate_down for containers whose children all see the container's input."""
    container.propagate_down = bool(flag)
    for child in container.children():
        child.set_propagate_down(flag)
    return container


@register
class Residual(Layer):
    """Y = block(X) + P(X), with P = ``projection`` (e.g. a 1x1 Conv2d) or the identity.

    The two paths must give the same shape. Backward sums the two paths'
    vector-Jacobian products: dX = J_blockᵀ G + J_Pᵀ G (J_P = I without a
    projection). Parameters are named "block.<name>" and "projection.<name>".
    """

    def __init__(self, block, projection=None):
        super().__init__()
        self.block = self.add_child("block", block)
        self.projection = None if projection is None else self.add_child("projection", projection)

    set_propagate_down = _propagate_to_all
    spec = residual_spec

    def output_shape(self, input_shape):
        out = tuple(_run(self, "block", self.block, "output_shape", tuple(input_shape)))
        skip = tuple(input_shape) if self.projection is None else \
            tuple(_run(self, "projection", self.projection, "output_shape", tuple(input_shape)))
        if out != skip:
            raise ValueError(self._mismatch(out, skip, input_shape))
        return out

    def _mismatch(self, out, skip, input_shape):
        return (f"Residual: the block's output shape {out} differs from the skip path's {skip} "
                f"(input {tuple(input_shape)})" + ("; add a projection" if self.projection is None else ""))

    def forward(self, X):
        Y = _run(self, "block", self.block, "forward", X)
        S = X if self.projection is None else _run(self, "projection", self.projection, "forward", X)
        if np.shape(Y) != np.shape(S):
            raise ValueError(self._mismatch(np.shape(Y), np.shape(S), np.shape(X)))
        self._shape = np.shape(Y)
        return Y + S

    def backward(self, G):
        shape = _cached(self, "_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"Residual: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        dX = _run(self, "block", self.block, "backward", G)
        dS = G if self.projection is None else _run(self, "projection", self.projection, "backward", G)
        if not self.propagate_down:
            return None
        return dX + dS

    def __repr__(self):
        return describe(self)


@register
class Concat(Layer):
    """Y = concatenate([f_0(X), f_1(X), ...], axis): every branch sees the same input.

    ``axis`` counts the batch axis (1 = channels for NCHW; negative counts
    from the end) and may not be 0; the branch outputs must agree on every
    other axis. Backward splits G along ``axis`` into the branches' parts G_i
    and sums their input gradients: dX = Σ_i J_iᵀ G_i.
    Parameters are named "0.weight", "1.weight", ... by branch.
    """

    def __init__(self, *branches, axis=1):
        super().__init__()
        if len(branches) == 1 and isinstance(branches[0], (list, tuple)):
            branches = tuple(branches[0])
        if not branches:
            raise ValueError("Concat: needs at least one branch")
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Concat: axis must be an int, got {axis!r}")
        self.axis = int(axis)
        for i, branch in enumerate(branches):
            self.add_child(str(i), branch)

    set_propagate_down = _propagate_to_all
    spec = concat_spec

    def _axis(self, ndim):
        ax = self.axis + ndim if self.axis < 0 else self.axis
        if not 1 <= ax < ndim:
            raise ValueError(f"Concat: axis {self.axis} is not a non-batch axis of {ndim}-d outputs")
        return ax

    def _join_shapes(self, shapes, ax):
        """The concatenated shape, or a ValueError naming each branch's shape."""
        rest = {s[:ax] + s[ax + 1:] for s in shapes}
        if len({len(s) for s in shapes}) != 1 or len(rest) != 1:
            listed = ", ".join(f"[{i}] {s}" for i, s in enumerate(shapes))
            raise ValueError(f"Concat: branch outputs must agree on every axis but {self.axis}; got {listed}")
        s = shapes[0]
        return s[:ax] + (sum(t[ax] for t in shapes),) + s[ax + 1:]

    def output_shape(self, input_shape):
        shapes = [tuple(_run(self, i, b, "output_shape", tuple(input_shape))) for i, b in enumerate(self.children())]
        return self._join_shapes(shapes, self._axis(len(shapes[0]) + 1) - 1)  # per-sample shapes: no batch axis

    def forward(self, X):
        outs = [_run(self, i, b, "forward", X) for i, b in enumerate(self.children())]
        ax = self._axis(np.ndim(outs[0]))
        self._join_shapes([np.shape(o) for o in outs], ax)
        self._ax, self._sizes = ax, [np.shape(o)[ax] for o in outs]
        self._shape = np.shape(outs[0])[:ax] + (sum(self._sizes),) + np.shape(outs[0])[ax + 1:]
        return np.concatenate(outs, axis=ax)

    def backward(self, G):
        ax, sizes, shape = _cached(self, "_ax", "_sizes", "_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"Concat: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        parts = np.split(G, np.cumsum(sizes)[:-1], axis=ax)
        dX, owned = None, False  # a branch may return its own G (Identity): never add into that
        for i, (branch, part) in enumerate(zip(self.children(), parts)):
            d = _run(self, i, branch, "backward", part)
            if d is None:
                continue
            if dX is None:
                dX = d
            elif owned:
                dX += d
            else:
                dX, owned = dX + d, True
        return dX if self.propagate_down else None

    def __repr__(self):
        text = describe(self)
        return text if self.axis == 1 else text.replace("Concat(", f"Concat(axis={self.axis},", 1)
