"""Cross-entropy on logits (fused log-softmax) and negative log-likelihood."""
import numpy as np

from .loss import Loss, register


def _check_labels(loss, pred, target):
    """pred (N, C) floating, target (N,) integer labels in [0, C)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim != 2 or not np.issubdtype(pred.dtype, np.floating):
        raise ValueError(f"{loss!r}: pred must be a floating (N, C) array, got shape {pred.shape} dtype {pred.dtype}")
    if target.shape != pred.shape[:1]:
        raise ValueError(f"{loss!r}: target has shape {target.shape}, expected ({pred.shape[0]},) integer labels for pred {pred.shape}")
    if not np.issubdtype(target.dtype, np.integer):
        if not (np.issubdtype(target.dtype, np.floating) and np.array_equal(target, np.round(target))):
            raise TypeError(f"{loss!r}: target must hold integer class labels, got dtype {target.dtype}")
        target = target.astype(np.intp)
    if target.size and (target.min() < 0 or target.max() >= pred.shape[1]):
        raise ValueError(f"{loss!r}: labels must lie in [0, {pred.shape[1]}), got min {target.min()} max {target.max()}")
    return pred, target


@register
class CrossEntropy(Loss):
    """L = −Σᵢ Σ_c qᵢc log softmax(Zᵢ)_c / n, n = N ('mean') or 1 ('sum'),
    with q the one-hot label (integer targets), or the given class
    probabilities (target shaped like the logits), optionally smoothed:
    q ← (1 − ε) q + ε / C  (``label_smoothing`` ε).

    dL/dZ = (softmax(Z) − q) / n — log-softmax and the loss are fused, and
    logits are shifted by their row maximum, so ±1e4 logits are exact.
    """

    def __init__(self, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropy: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, pred, target):
        soft = np.ndim(target) == 2
        if soft:
            pred, target = self._same_shape(pred, target)
            if pred.ndim != 2:
                raise ValueError(f"{self!r}: pred must be (N, C), got {pred.shape}")
        else:
            pred, target = _check_labels(self, pred, target)
        N, C = pred.shape
        Z = pred - pred.max(axis=1, keepdims=True)
        P = np.exp(Z)
        s = P.sum(axis=1, keepdims=True)
        P /= s
        logZ = np.log(s)  # log-softmax = Z - logZ
        rows = np.arange(N)
        eps = self.label_smoothing
        if soft:
            Q = target if eps == 0 else target * (1 - eps) + eps / C
            total = float((Q * (logZ - Z)).sum())
        else:
            total = float(logZ.sum() - Z[rows, target].sum())
            if eps:
                total = (1 - eps) * total + eps / C * float((C * logZ - Z.sum(axis=1, keepdims=True)).sum())
            Q = None
        self._P, self._Q, self._y, self._s = P, Q, target, self._scale(N)
        return total * self._s

    def backward(self):
        P = self._cached("_P")
        eps = self.label_smoothing
        if self._Q is not None:
            G = P - self._Q
        else:
            G = P - eps / P.shape[1] if eps else P.copy()
            G[np.arange(P.shape[0]), self._y] -= 1 - eps
        G *= self._s
        return G

    def extra_repr(self):
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        return ", ".join(parts + ([f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []))


@register
class NLL(Loss):
    """L = −Σᵢ Yᵢ,yᵢ / n for log-probabilities Y (N, C) and integer labels y;
    dL/dY = −onehot(y) / n."""

    def forward(self, pred, target):
        pred, target = _check_labels(self, pred, target)
        self._shape, self._dtype, self._y, self._s = pred.shape, pred.dtype, target, self._scale(pred.shape[0])
        return -float(pred[np.arange(pred.shape[0]), target].sum()) * self._s

    def backward(self):
        shape = self._cached("_shape")
        G = np.zeros(shape, self._dtype)
        G[np.arange(shape[0]), self._y] = -self._s
        return G


register(CrossEntropy, name="CrossEntropyLoss")  # PyTorch's names
register(NLL, name="NLLLoss")
