"""Cross-entropy on logits (fused log-softmax) and negative log-likelihood.

Both take the class axis LAST: scores (N, ..., C) with integer labels (N, ...),
so a per-step Linear on a sequence (N, T, H) feeds them directly. Positions whose
label equals ``ignore_index`` (default −100, as PyTorch) count neither in the sum
nor in the mean's denominator and get zero gradient; with reduction 'mean' the
loss is the sum over the M counted positions divided by M (a batch in which every
label is ignored gives nan and a zero gradient, as PyTorch does). With reduction
'none' the loss is the array of per-position values, shaped like the labels
(N, ...), 0 at ignored positions.
"""
import numpy as np

from .loss import Loss, register


def _check_labels(loss, pred, target):
    """pred (N, ..., C) floating, target (N, ...) integer labels in [0, C) or ignore_index;
    returns pred as (M, C), labels (M,) and the mask of counted rows (None: all count)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.ndim < 2 or not np.issubdtype(pred.dtype, np.floating):
        raise ValueError(f"{loss!r}: pred must be a floating (N, C) or (N, ..., C) array, got shape {pred.shape} dtype {pred.dtype}")
    if target.shape != pred.shape[:-1]:
        raise ValueError(f"{loss!r}: target has shape {target.shape}, expected {pred.shape[:-1]} integer labels "
                         f"for pred {pred.shape} (class axis last)")
    if not np.issubdtype(target.dtype, np.integer):
        if not (np.issubdtype(target.dtype, np.floating) and np.array_equal(target, np.round(target))):
            raise TypeError(f"{loss!r}: target must hold integer class labels, got dtype {target.dtype}")
        target = target.astype(np.intp)
    C = pred.shape[-1]
    pred, target = pred.reshape(-1, C), target.reshape(-1)
    if target.size and not 0 <= loss.ignore_index < C and target.min() >= 0 and target.max() < C:
        return pred, target, None   # all labels valid, none can equal ignore_index: 2 reductions, not 5
    counted = target != loss.ignore_index
    if counted.all():
        counted = None
    labels = target if counted is None else target[counted]
    if labels.size and (labels.min() < 0 or labels.max() >= C):
        raise ValueError(f"{loss!r}: labels must lie in [0, {C}) (or equal ignore_index={loss.ignore_index}), "
                         f"got min {labels.min()} max {labels.max()}")
    if counted is not None:
        target = np.where(counted, target, 0)
    return pred, target, counted


def _ignore_index(owner, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: ignore_index must be an int, got {value!r}")
    return int(value)


@register
class CrossEntropy(Loss):
    """L = −Σᵢ Σ_c qᵢc log softmax(Zᵢ)_c / n over the positions i of logits Z (N, ..., C),
    n = the number of counted positions ('mean') or 1 ('sum') ('none': the per-position
    values, shaped like the labels, 0 at ignored positions), with q the one-hot label
    (integer targets (N, ...)), or the given class probabilities (target shaped like
    the logits; n = the number of positions), optionally smoothed:
    q ← (1 − ε) q + ε / C  (``label_smoothing`` ε).

    dL/dZ = (softmax(Z) − q) / n (zero at ignored positions) — log-softmax and the
    loss are fused, and logits are shifted by their row maximum, so ±1e4 logits are exact.
    """

    takes_labels = True

    def __init__(self, reduction="mean", label_smoothing=0.0, ignore_index=-100):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropy: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)
        self.ignore_index = _ignore_index("CrossEntropy", ignore_index)
        self._rows = None   # np.arange(N), kept while the batch size repeats

    def forward(self, pred, target):
        shape = np.shape(pred)
        soft = np.shape(target) == shape and len(shape) >= 2
        counted = None
        if soft:
            pred, target = self._same_shape(pred, target)
            pred, target = pred.reshape(-1, shape[-1]), target.reshape(-1, shape[-1])
        else:
            pred, target, counted = _check_labels(self, pred, target)
        N, C = pred.shape
        Z = pred - pred.max(axis=1, keepdims=True)
        eps = self.label_smoothing
        if soft:
            Q = target if eps == 0 else target * (1 - eps) + eps / C
        else:
            rows = getattr(self, "_rows", None)
            if rows is None or rows.shape[0] != N:
                rows = self._rows = np.arange(N)
            picked = Z[rows, target]    # taken before Z becomes P (fewer passes, no second array)
            Zsum = Z.sum(axis=1) if eps else None
            Q = None
        P = np.exp(Z) if soft else np.exp(Z, out=Z)  # labels: Z is no longer needed
        s = P.sum(axis=1, keepdims=True)
        P /= s
        logZ = np.log(s)  # log-softmax = Z - logZ
        none = self.reduction == "none"
        if soft:
            per_row = (Q * (logZ - Z)).sum(axis=1) if none else None
            total = 0.0 if none else float((Q * (logZ - Z)).sum())
        else:
            per_row = logZ[:, 0] - picked
            if eps:
                per_row = (1 - eps) * per_row + eps / C * (C * logZ[:, 0] - Zsum)
            if none and counted is not None:
                per_row *= counted
            total = 0.0 if none else float(per_row.sum() if counted is None else per_row[counted].sum())
        n = N if counted is None else int(counted.sum())
        self._P, self._Q, self._y, self._counted, self._shape = P, Q, target, counted, shape
        self._s = self._scale(n) if n or self.reduction != "mean" else 0.0
        if none:
            return per_row.reshape(shape[:-1])
        return total * self._s if self._s or self.reduction == "sum" else float("nan")

    def backward(self):
        P = self._cached("_P")
        eps = self.label_smoothing
        if self._Q is not None:
            G = P - self._Q
        else:
            G = P - eps / P.shape[1] if eps else P.copy()
            rows = self._rows if self._rows.shape[0] == P.shape[0] else np.arange(P.shape[0])
            G[rows, self._y] -= 1 - eps
            if self._counted is not None:
                G *= self._counted[:, None]
        G *= self._s
        return G.reshape(self._shape)

    def extra_repr(self):
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        parts += [f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []
        return ", ".join(parts + ([f"ignore_index={self.ignore_index}"] if self.ignore_index != -100 else []))


@register
class NLL(Loss):
    """L = −Σᵢ Yᵢ,yᵢ / n for log-probabilities Y (N, ..., C) and integer labels y (N, ...),
    n = the number of counted positions ('mean') or 1 ('sum'); reduction='none': the
    per-position values −Yᵢ,yᵢ (0 at ignored positions), shaped like y.
    dL/dY = −onehot(y) / n (zero at ignored positions)."""

    takes_labels = True

    def __init__(self, reduction="mean", ignore_index=-100):
        super().__init__(reduction)
        self.ignore_index = _ignore_index("NLL", ignore_index)

    def forward(self, pred, target):
        shape = np.shape(pred)
        pred, target, counted = _check_labels(self, pred, target)
        picked = pred[np.arange(pred.shape[0]), target]
        n = pred.shape[0] if counted is None else int(counted.sum())
        self._shape, self._dtype, self._y, self._counted = shape, pred.dtype, target, counted
        self._s = self._scale(n) if n or self.reduction != "mean" else 0.0
        if self.reduction == "none":
            per = -picked if counted is None else -picked * counted
            return per.reshape(shape[:-1])
        total = -float(picked.sum() if counted is None else picked[counted].sum())
        return total * self._s if self._s or self.reduction == "sum" else float("nan")

    def backward(self):
        shape = self._cached("_shape")
        G = np.zeros((int(np.prod(shape[:-1])), shape[-1]), self._dtype)
        G[np.arange(G.shape[0]), self._y] = -self._s
        if self._counted is not None:
            G *= self._counted[:, None]
        return G.reshape(shape)

    def extra_repr(self):
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        return ", ".join(parts + ([f"ignore_index={self.ignore_index}"] if self.ignore_index != -100 else []))


register(CrossEntropy, name="CrossEntropyLoss")  # PyTorch's names
register(NLL, name="NLLLoss")
