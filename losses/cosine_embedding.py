"""Cosine embedding: pairs that should point the same way, or not."""
import numpy as np

from .checks import check_number, check_same, check_signs
from .loss import Loss, register

# added to each squared norm, as PyTorch does (its constant is the float32 nearest 1e-12):
# a zero vector has cosine 0
EPSILON = float(np.float32(1e-12))


@register
class CosineEmbedding(Loss):
    """PyTorch's ``CosineEmbeddingLoss``: whether pairs of embeddings point the same way.

    ``forward(x1, x2, y)`` with embeddings x1, x2 (N, D) and labels y (N,) = 1 (similar)
    or −1 (dissimilar) (or one (D,) pair and a scalar y); per pair::

        c = x1·x2 / √((‖x1‖² + ε)(‖x2‖² + ε))        (ε = 1e-12)
        ℓ = 1 − c                   (y = 1)
        ℓ = max(0, c − margin)      (y = −1)

    L = Σ ℓ / n, n = N ('mean') or 1 ('sum'); 'none': the N values.
    dc/dx1 = x2 / √(M1 M2) − c x1 / M1 (Mᵢ = ‖xᵢ‖² + ε; x1 ↔ x2 likewise); dL/dxᵢ =
    −dc/dxᵢ / n (y = 1) or [c − margin ≥ 0] dc/dxᵢ / n (y = −1: a margin exactly met
    passes the gradient, as PyTorch's clamp does); ``backward()`` returns (dL/dx1, dL/dx2).
    """

    predictions = ("x1", "x2")

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = check_number("CosineEmbedding", "margin", margin)

    def forward(self, x1, x2, y):
        x1, x2 = check_same("CosineEmbedding", ("x1", "x2"), (x1, x2))
        if x1.ndim not in (1, 2):
            raise ValueError(f"CosineEmbedding: x1 and x2 must be (N, D) batches of vectors (or one (D,) pair), "
                             f"got shape {x1.shape}")
        y = check_signs("CosineEmbedding", y, x1.shape[:-1])
        self._single = x1.ndim == 1
        if self._single:                   # one pair, as PyTorch's unbatched form: a batch of one
            x1, x2, y = x1[None], x2[None], y.reshape(1)
        prod = np.einsum("nd,nd->n", x1, x2)
        m1 = np.einsum("nd,nd->n", x1, x1)
        m1 += EPSILON
        m2 = np.einsum("nd,nd->n", x2, x2)
        m2 += EPSILON
        den = np.sqrt(m1 * m2)
        cos = prod / den
        pos = y > 0
        per = np.where(pos, 1.0 - cos, np.maximum(cos - self.margin, 0.0)).astype(x1.dtype, copy=False)
        slope = np.where(pos, -1.0, (cos - self.margin >= 0)).astype(x1.dtype, copy=False)   # dℓ/dc
        self._cache = (x1, x2, m1, m2, den, cos, slope)
        self._s = self._scale(len(per))
        return self._reduce(per.reshape(()) if self._single else per)

    def backward(self):
        x1, x2, m1, m2, den, cos, slope = self._cached("_cache")
        a = (slope * self._s / den)[:, None]       # dL/dc / √(M1 M2)
        b = (slope * self._s * cos)[:, None]       # dL/dc · c
        d1 = x2 * a
        d1 -= x1 * (b / m1[:, None])
        d2 = x1 * a
        d2 -= x2 * (b / m2[:, None])
        return (d1[0], d2[0]) if self._single else (d1, d2)

    def extra_repr(self):
        parts = [f"margin={self.margin}"] if self.margin else []
        return ", ".join(parts + ([] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]))


register(CosineEmbedding, name="CosineEmbeddingLoss")  # PyTorch's name
