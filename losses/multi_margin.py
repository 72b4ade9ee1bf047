"""Multi-class margin (hinge) loss: Torch7's MultiMarginCriterion, Caffe's HingeLoss."""
import numpy as np

from .checks import check_number
from .loss import Loss, register


@register
class MultiMargin(Loss):
    """PyTorch's ``MultiMarginLoss``: scores X (N, C) and integer labels y (N,); per sample

        ℓ = Σ_{c ≠ y} w_y · max(0, margin − X_y + X_c)^p / C        (p = 1 or 2)

    with class weights w (``weight``, a length-C list; default all 1). L = Σ ℓ / n,
    n = N ('mean') or 1 ('sum'); 'none': the N values. With z_c = margin − X_y + X_c,
    a class counts only where z_c > 0 (a margin exactly met gives no gradient, as
    PyTorch's kernel): dL/dX_c = w_y · (1 or 2 z_c) [z_c > 0] / (C n) for c ≠ y,
    and dL/dX_y = −Σ_{c ≠ y} dL/dX_c.
    """

    takes_labels = True

    def __init__(self, p=1, margin=1.0, weight=None, reduction="mean"):
        super().__init__(reduction)
        if isinstance(p, bool) or p not in (1, 2):
            raise ValueError(f"MultiMargin: p must be 1 or 2, got {p!r}")
        self.p = int(p)
        self.margin = check_number("MultiMargin", "margin", margin)
        self.weight = None
        if weight is not None:
            w = np.asarray(weight, dtype=np.float64)
            if w.ndim != 1 or not w.size or not np.all(np.isfinite(w)):
                raise ValueError(f"MultiMargin: weight must be a list of finite class weights, got {weight!r}")
            self.weight = w

    def forward(self, pred, target):
        X = np.asarray(pred)
        if X.ndim != 2 or X.dtype.kind != "f":
            raise ValueError(f"MultiMargin: pred must be a floating (N, C) array of scores, "
                             f"got shape {X.shape} dtype {X.dtype}")
        N, C = X.shape
        y = np.asarray(target)
        if y.shape != (N,):
            raise ValueError(f"MultiMargin: target has shape {y.shape}, expected ({N},) integer labels "
                             f"for pred {X.shape}")
        if y.dtype.kind not in "iu":
            if not (y.dtype.kind == "f" and np.array_equal(y, np.round(y))):
                raise TypeError(f"MultiMargin: target must hold integer class labels, got dtype {y.dtype}")
            y = y.astype(np.intp)
        if y.min() < 0 or y.max() >= C:
            raise ValueError(f"MultiMargin: labels must lie in [0, {C}), got min {y.min()} max {y.max()}")
        if self.weight is not None and self.weight.size != C:
            raise ValueError(f"MultiMargin: weight has {self.weight.size} entries but pred has {C} classes")
        rows = np.arange(N)
        Z = X - X[rows, y][:, None]
        Z += self.margin
        Z[rows, y] = 0.0                         # the label's own class never counts
        np.maximum(Z, 0, out=Z)
        scale = np.full(N, 1.0 / C, X.dtype) if self.weight is None else (self.weight[y] / C).astype(X.dtype)
        per = (Z if self.p == 1 else Z * Z).sum(axis=1)
        per *= scale
        self._cache = (Z, y, rows, scale)
        self._s = self._scale(N)
        return self._reduce(per)

    def backward(self):
        Z, y, rows, scale = self._cached("_cache")
        G = (Z > 0).astype(Z.dtype) if self.p == 1 else Z * 2
        G *= (scale * self._s)[:, None]
        G[rows, y] = -G.sum(axis=1)
        return G

    def extra_repr(self):
        parts = [f"p={self.p}"] if self.p != 1 else []
        parts += [f"margin={self.margin}"] if self.margin != 1.0 else []
        parts += ["weight=[...]"] if self.weight is not None else []
        return ", ".join(parts + ([] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]))


register(MultiMargin, name="MultiMarginLoss")  # PyTorch's name
