"""Contrastive loss: pairs of embeddings pulled together or pushed apart."""
import numpy as np

from .checks import check_number, check_same
from .loss import Loss, register


@register
class Contrastive(Loss):
    """Caffe's ``ContrastiveLoss`` (Hadsell, Chopra & LeCun 2006): ``forward(a, b, y)``
    with embeddings a, b (N, D) (or (N, ...): the distance runs over every
    non-batch axis) and pair labels y (N,) = 1 (similar) or 0 (dissimilar); per pair

        d = ‖a − b‖₂
        ℓ = ½ d²                        (y = 1: similar pairs are pulled together)
        ℓ = ½ max(0, margin − d)²       (y = 0: dissimilar ones pushed at least margin apart)

    L = Σ ℓ / N ('mean', Caffe's 1/(2N) Σ [y d² + (1 − y) max(0, m − d)²]), Σ ℓ ('sum'),
    or the N values ('none'). Gradients, with D = a − b and s = 1/N or 1:
    dL/da = s D (y = 1), dL/da = −s (margin − d) D / d (y = 0, d < margin; 0 beyond
    the margin and at d = 0, where the direction is undefined); dL/db = −dL/da.
    ``backward()`` returns (dL/da, dL/db). Caffe adds 1e-4 to d in that quotient;
    here it is exact, so a gradient check holds.
    """

    predictions = ("a", "b")

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = check_number("Contrastive", "margin", margin, low=0.0, strict=True)

    def forward(self, a, b, y):
        a, b = check_same("Contrastive", ("a", "b"), (a, b))
        if a.ndim < 2:
            raise ValueError(f"Contrastive: a and b must be (N, D) batches of embeddings, got shape {a.shape}")
        y = np.asarray(y)
        if y.shape != a.shape[:1] and y.shape != (len(a), 1):
            raise ValueError(f"Contrastive: y has shape {y.shape}, expected ({len(a)},) (one label 1 or 0 per pair)")
        y = y.reshape(len(a))
        if y.dtype.kind not in "biuf" or (y.size and not np.all((y == 0) | (y == 1))):
            raise ValueError(f"Contrastive: y must hold 1 (similar pair) or 0 (dissimilar), got values "
                             f"{np.unique(y)[:5].tolist() if y.dtype.kind in 'biuf' else y.dtype}")
        D = (a - b).reshape(len(a), -1)
        d = np.sqrt(np.einsum("nd,nd->n", D, D))
        similar = y.astype(bool)
        gap = np.maximum(self.margin - d, 0.0)
        per = np.where(similar, 0.5 * d * d, 0.5 * gap * gap).astype(a.dtype, copy=False)
        # dℓ/dD = c·D, c = 1 (similar) or −(margin − d)/d (dissimilar, inside the margin)
        c = np.where(similar, 1.0, -np.divide(gap, d, out=np.zeros_like(d), where=d > 0))
        self._cache = (D, c.astype(a.dtype, copy=False), a.shape)
        self._s = self._scale(len(a))
        return self._reduce(per)

    def backward(self):
        D, c, shape = self._cached("_cache")
        da = (D * (c * self._s)[:, None]).reshape(shape)
        return da, -da

    def extra_repr(self):
        parts = [] if self.margin == 1.0 else [f"margin={self.margin}"]
        return ", ".join(parts + ([] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]))


register(Contrastive, name="ContrastiveLoss")  # Caffe's name
