"""Layer normalization over the trailing dimensions of each sample."""
import numpy as np

from ..core.layer import Layer
from ..core.registry import register


@register
class LayerNorm(Layer):
    """Y = γ ⊙ (X − μ) / sqrt(σ² + eps) + β, as torch.nn.LayerNorm.

    μ and σ² (biased) are taken over the trailing dimensions given by
    ``normalized_shape`` (an int means the last axis), separately for every
    leading index; the same in training and evaluation.
    Parameters (if ``elementwise_affine``) ``weight`` = γ (ones) and
    ``bias`` = β (zeros; ``bias=False`` drops it), shaped ``normalized_shape``.

    Backward with x̂ = (X − μ)/s, s = sqrt(σ² + eps), means over the K
    normalized elements of each row and Ĝ = G ⊙ γ:

        dγ += Σ_rows G ⊙ x̂,   dβ += Σ_rows G,
        dX = (Ĝ − mean(Ĝ) − x̂ · mean(Ĝ ⊙ x̂)) / s
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float32):
        super().__init__()
        shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        if not shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be a positive int or a tuple of them, "
                             f"got {normalized_shape!r}")
        if not (isinstance(eps, (int, float)) and eps > 0):
            raise ValueError(f"LayerNorm: eps must be a positive number, got {eps!r}")
        self.normalized_shape, self.eps = tuple(int(d) for d in shape), float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        self.weight = self.bias = None
        if self.elementwise_affine:
            self.add_parameter("weight", np.ones(self.normalized_shape, dtype))
            if bias:
                self.add_parameter("bias", np.zeros(self.normalized_shape, dtype))
        self._ones = np.ones(0, dtype)

    @classmethod
    def infer_args(cls, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"LayerNorm: cannot infer normalized_shape from a per-sample shape {tuple(input_shape)}")
        return {"normalized_shape": tuple(input_shape[-1:])}

    def _fits(self, shape):
        d = len(self.normalized_shape)
        return len(shape) >= d and tuple(shape[len(shape) - d:]) == self.normalized_shape

    def output_shape(self, input_shape):
        if not self._fits(tuple(input_shape)):
            raise self._shape_error(f"(..., {', '.join(map(str, self.normalized_shape))}) per sample", tuple(input_shape))
        return tuple(input_shape)

    def forward(self, X):
        if getattr(X, "ndim", 0) < 2 or not self._fits(X.shape[1:]):
            raise self._shape_error(f"(N, ..., {', '.join(map(str, self.normalized_shape))})", X)
        K = int(np.prod(self.normalized_shape))
        X2 = X.reshape(-1, K)
        xc = X2 - (X2.sum(axis=1, keepdims=True) / K)
        var = np.einsum("ij,ij->i", xc, xc)[:, None] / K  # one pass, no squared temporary
        inv = 1.0 / np.sqrt(var + self.eps)
        xc *= inv
        self._xhat, self._inv, self._shape = xc, inv, X.shape
        if not self.elementwise_affine:
            return xc.reshape(X.shape)
        Y = xc * self.weight.data.reshape(-1)
        if self.bias is not None:
            Y += self.bias.data.reshape(-1)
        return Y.reshape(X.shape)

    def backward(self, G):
        xhat, inv, shape = self._cached("_xhat", "_inv", "_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        K = xhat.shape[1]
        G2 = G.reshape(-1, K)
        if self.elementwise_affine:
            ones = self._ones
            if ones.shape[0] != G2.shape[0] or ones.dtype != G2.dtype:
                ones = self._ones = np.ones(G2.shape[0], G2.dtype)
            self.weight.grad += (ones @ (G2 * xhat)).reshape(self.normalized_shape)
            if self.bias is not None:
                self.bias.grad += (ones @ G2).reshape(self.normalized_shape)
            G2 = G2 * self.weight.data.reshape(-1)
        dX = G2 - G2.sum(axis=1, keepdims=True) / K
        dX -= xhat * (np.einsum("ij,ij->i", G2, xhat)[:, None] / K)
        dX *= inv
        return dX.reshape(shape)

    def extra_repr(self):
        s = f"{self.normalized_shape}, eps={self.eps}"
        if not self.elementwise_affine:
            s += ", elementwise_affine=False"
        elif self.bias is None:
            s += ", bias=False"
        return s
