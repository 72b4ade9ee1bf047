"""Merge: the base of layers that join several inputs into one output.

A merge layer takes its inputs positionally, ``forward(X1, X2, ...)``, and its
backward returns one gradient per input, the tuple ``(dX1, dX2, ...)``, each
shaped (and typed) like its input. Shapes that do not fit together are a
ValueError naming the layer and every input's shape, e.g.

    Add: inputs must have the same shape; got input 0 (N, 3, 4), input 1 (N, 3, 5)

(per-sample shapes show the batch axis as ``N``; with arrays the batch size).
"""
from ..core.layer import Layer


def shape_list(shapes, per_sample):
    """'input 0 (N, 3, 4), input 1 (N, 3, 5)': each input's shape, numbered."""
    def show(s):
        s = (("N",) + tuple(s)) if per_sample else tuple(s)
        return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"
    return ", ".join(f"input {i} {show(s)}" for i, s in enumerate(shapes))


class Merge(Layer):
    """Several inputs of compatible shapes joined into one output (abstract).

    Subclasses implement ``_join(shapes, per_sample)``: the output shape of
    ``shapes`` (full array shapes, or per-sample ones when ``per_sample``), or
    ``self._mismatch(...)`` raised. ``output_shape(*input_shapes)`` and the
    checks of ``forward`` both go through it.
    """

    def _count(self, n):
        if n < 2:
            raise TypeError(f"{self!r}: needs at least two inputs, forward(X1, X2, ...); got {n}")

    def _mismatch(self, what, shapes, per_sample):
        return ValueError(f"{self!r}: {what}; got {shape_list(shapes, per_sample)}")

    def output_shape(self, *input_shapes):
        self._count(len(input_shapes))
        return self._join([tuple(s) for s in input_shapes], per_sample=True)

    def _check(self, Xs):
        """The output shape of the arrays ``Xs`` (same batch size, shapes that fit)."""
        self._count(len(Xs))
        shapes = [getattr(X, "shape", None) for X in Xs]
        if any(s is None for s in shapes):
            bad = next(i for i, s in enumerate(shapes) if s is None)
            raise TypeError(f"{self!r}: input {bad} must be an array, got {type(Xs[bad]).__name__}")
        if len({s[:1] for s in shapes}) != 1:
            raise self._mismatch("inputs must have the same batch size", shapes, False)
        return self._join(shapes, per_sample=False)

    def _grads_like(self, grads, Xs_dtypes):
        """Each input's gradient in that input's dtype (inputs of mixed precision)."""
        return tuple(g if g.dtype == d else g.astype(d) for g, d in zip(grads, Xs_dtypes))
