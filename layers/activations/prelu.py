"""PReLU: the leaky rectifier whose negative slope is learnt (He et al., 2015)."""
import numpy as np

from ..core.layer import Layer
from ..core.registry import register


@register
class PReLU(Layer):
    """Y = max(X, 0) + a · min(X, 0), as torch.nn.PReLU.

    ``weight`` = a, shape (num_parameters,), initialized to ``init``: one slope for
    every element (num_parameters=1) or one per channel, axis 1 of (N, C, ...)
    inputs (num_parameters = C). VJP:

        dX = G ⊙ (1 if X > 0 else a),   da += Σ G ⊙ min(X, 0)   (summed over all but the channel axis)
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float32):
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {num_parameters!r}")
        if isinstance(init, bool) or not isinstance(init, (int, float)):
            raise ValueError(f"PReLU: init must be a number, got {init!r}")
        self.num_parameters, self.init = int(num_parameters), float(init)
        self.add_parameter("weight", np.full(self.num_parameters, self.init, dtype))

    def _check(self, shape, what):
        if self.num_parameters > 1 and (len(shape) < 2 or shape[1] != self.num_parameters):
            raise self._shape_error(f"(N, {self.num_parameters}, ...) (one slope per channel)", what)

    def output_shape(self, input_shape):
        self._check((None,) + tuple(input_shape), tuple(input_shape))
        return tuple(input_shape)

    def _slope(self, ndim):
        a = self.weight.data
        return a.reshape((1, -1) + (1,) * (ndim - 2)) if self.num_parameters > 1 else a.reshape(())

    def forward(self, X):
        self._check(getattr(X, "shape", ()), X)
        neg = np.minimum(X, 0)
        self._neg, self._pos = neg, (X > 0).astype(X.dtype)
        Y = neg * self._slope(X.ndim)
        Y += np.maximum(X, 0)
        return Y

    def backward(self, G):
        neg, pos = self._cached("_neg", "_pos")
        if getattr(G, "shape", None) != neg.shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {neg.shape}")
        Gn = G * neg
        if self.num_parameters > 1:
            self.weight.grad += Gn.sum(axis=(0,) + tuple(range(2, G.ndim)))
        else:
            self.weight.grad += Gn.sum()
        a = self._slope(G.ndim)
        return G * (pos + (1 - pos) * a)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}" + (f", init={self.init}" if self.init != 0.25 else "")
