"""Linear (fully connected) layer."""
import numpy as np

from .core.init import check_init, init_weight
from .core.layer import Layer
from .core.random import get_rng
from .core.registry import register


@register
class Linear(Layer):
    """Y = X W + b

    X: (N, in_features) (or (..., in_features)); W: (in_features, out_features),
    the textbook's XW; b: (out_features,). Backward (G = dL/dY):

        dX = G Wᵀ,   dW += Xᵀ G,   db += 1ᵀ G

    (dX is skipped, and backward returns None, when ``propagate_down`` is False.)

    Init as PyTorch: W, b ~ U(-k, k) with k = 1/sqrt(in_features); ``init`` picks
    another rule for W (kaiming_uniform, kaiming_normal, xavier_uniform,
    xavier_normal; see layers.core.init).
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float32, init="default"):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.init = check_init("Linear", init)
        rng = get_rng(rng)
        k = 1.0 / np.sqrt(self.in_features)
        self.add_parameter("weight", init_weight(init, (self.in_features, self.out_features), self.in_features,
                                                 self.out_features, rng, dtype))
        self.bias = None
        if bias:
            self.add_parameter("bias", rng.uniform(-k, k, self.out_features).astype(dtype))
        self._ones = np.ones(0, dtype)

    @classmethod
    def infer_args(cls, input_shape):
        return {"in_features": input_shape[-1]}

    def output_shape(self, input_shape):
        if len(input_shape) < 1 or input_shape[-1] != self.in_features:
            raise self._shape_error(f"(..., {self.in_features}) per sample", tuple(input_shape))
        return tuple(input_shape[:-1]) + (self.out_features,)

    def forward(self, X):
        if getattr(X, "ndim", 0) < 2 or X.shape[-1] != self.in_features:
            raise self._shape_error(f"(N, {self.in_features})", X)
        self._X = X
        Y = X @ self.weight.data
        if self.bias is not None:
            Y += self.bias.data
        return Y

    def backward(self, G):
        X = self._cached("_X")
        if G.shape[-1] != self.out_features or G.shape[:-1] != X.shape[:-1]:
            raise ValueError(f"{self!r}: grad_Y has shape {G.shape}, expected {X.shape[:-1] + (self.out_features,)}")
        X2, G2 = X.reshape(-1, self.in_features), G.reshape(-1, self.out_features)
        self.weight.accumulate_matmul(X2.T, G2)
        if self.bias is not None:
            ones = self._ones
            if ones.shape[0] != G2.shape[0] or ones.dtype != G2.dtype:
                ones = self._ones = np.ones(G2.shape[0], G2.dtype)
            self.bias.accumulate_matmul(ones, G2)  # much faster than G2.sum(0) on tall arrays
        if not self.propagate_down:
            return None
        if self.out_features == 1:  # an outer product: a broadcast multiply beats a K=1 GEMM
            return G * self.weight.data.reshape(-1)
        return G @ self.weight.data.T

    def extra_repr(self):
        init = "" if self.init == "default" else f", init={self.init!r}"
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}{init}"

