"""Group normalization: per sample, over groups of channels and their spatial extent."""
import numpy as np

from ..core.layer import Layer
from ..core.registry import register


@register
class GroupNorm(Layer):
    """Y[n, c] = γ[c] · (X[n, c] − μ[n, g]) / sqrt(σ²[n, g] + eps) + β[c], as torch.nn.GroupNorm.

    X: (N, C, ...) with C = num_channels split into num_groups groups of C/G
    consecutive channels; μ and σ² (biased) are taken per sample over each group's
    channels and all their positions, the same in training and evaluation (no
    running statistics, so any batch size works). Parameters (if ``affine``):
    ``weight`` = γ (ones) and ``bias`` = β (zeros), shape (C,).

    Backward, with x̂ = (X − μ)/s, s = sqrt(σ² + eps), K the elements of a group and
    Ĝ = G ⊙ γ (per channel); means over each group:

        dγ += Σ_{n, positions} G ⊙ x̂,   dβ += Σ_{n, positions} G,
        dX = (Ĝ − mean(Ĝ) − x̂ · mean(Ĝ ⊙ x̂)) / s
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=np.float32):
        super().__init__()
        for name, v in (("num_groups", num_groups), ("num_channels", num_channels)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {v!r}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        if isinstance(eps, bool) or not (isinstance(eps, (int, float)) and eps > 0):
            raise ValueError(f"GroupNorm: eps must be a positive number, got {eps!r}")
        self.num_groups, self.num_channels, self.eps = int(num_groups), int(num_channels), float(eps)
        self.affine = bool(affine)
        self.weight = self.bias = None
        if self.affine:
            self.add_parameter("weight", np.ones(self.num_channels, dtype))
            self.add_parameter("bias", np.zeros(self.num_channels, dtype))

    @classmethod
    def infer_args(cls, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"GroupNorm: expected a per-sample input shape (C, ...), got {tuple(input_shape)}")
        return {"num_channels": input_shape[0]}

    def output_shape(self, input_shape):
        if len(input_shape) < 1 or input_shape[0] != self.num_channels:
            raise self._shape_error(f"({self.num_channels}, ...) per sample", tuple(input_shape))
        return tuple(input_shape)

    def forward(self, X):
        if getattr(X, "ndim", 0) < 2 or X.shape[1] != self.num_channels:
            raise self._shape_error(f"(N, {self.num_channels}, ...)", X)
        N, C, G = X.shape[0], self.num_channels, self.num_groups
        X2 = X.reshape(N * G, -1)
        K = X2.shape[1]
        xc = X2 - X2.sum(axis=1, keepdims=True) / K
        var = np.einsum("ij,ij->i", xc, xc)[:, None] / K
        inv = 1.0 / np.sqrt(var + self.eps)
        xc *= inv
        self._xhat, self._inv, self._shape = xc, inv, X.shape
        if not self.affine:
            return xc.reshape(X.shape)
        Y = xc.reshape(N, C, -1) * self.weight.data[:, None]
        Y += self.bias.data[:, None]
        return Y.reshape(X.shape)

    def backward(self, G):
        xhat, inv, shape = self._cached("_xhat", "_inv", "_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        N, C = shape[:2]
        G3 = G.reshape(N, C, -1)
        if self.affine:
            x3 = xhat.reshape(N, C, -1)
            self.weight.grad += np.einsum("ncs,ncs->c", G3, x3)
            self.bias.grad += G3.sum(axis=(0, 2))
            G3 = G3 * self.weight.data[:, None]
        G2 = G3.reshape(xhat.shape)
        K = xhat.shape[1]
        dX = G2 - G2.sum(axis=1, keepdims=True) / K
        dX -= xhat * (np.einsum("ij,ij->i", G2, xhat)[:, None] / K)
        dX *= inv
        return dX.reshape(shape)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}" + ("" if self.affine else ", affine=False")
