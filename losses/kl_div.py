"""Kullback-Leibler divergence of a target distribution from predicted log-probabilities."""
import numpy as np

from .checks import check_flag
from .loss import REDUCTIONS, Loss, register


@register
class KLDiv(Loss):
    """PyTorch's ``KLDivLoss``: the prediction X holds log-probabilities, the target T
    probabilities (or log-probabilities, ``log_target=True``); elementwise

        ℓ = T (log T − X)            (0 where T = 0)
        ℓ = exp(T) (T − X)           (log_target)

    L = Σ ℓ / n with n = the number of elements ('mean'), the batch size N
    ('batchmean': the true KL divergence per sample, as the maths defines it), or 1
    ('sum'); 'none': the elements.
    dL/dX = −T / n  (−exp(T) / n with log_target).
    """

    reductions = REDUCTIONS + ("batchmean",)

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = check_flag("KLDiv", "log_target", log_target)

    def forward(self, pred, target):
        X, T = self._same_shape(pred, target)
        n = X.shape[0] if self.reduction == "batchmean" and X.ndim else X.size
        if self.log_target:
            W = np.exp(T)
            per = T - X
            per *= W
        else:
            W = T
            with np.errstate(divide="ignore", invalid="ignore"):
                per = np.log(T)               # T log T, 0 where T = 0 (scipy's xlogy, 4x faster here)
                per *= T
            zero = T == 0
            if zero.any():
                per[zero] = 0.0
            per -= T * X
        self._W, self._s = W, self._scale(n)
        return self._reduce(per, n)

    def backward(self):
        W = self._cached("_W")
        return W * -self._s

    def extra_repr(self):
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        return ", ".join(parts + (["log_target=True"] if self.log_target else []))


register(KLDiv, name="KLDivLoss")  # PyTorch's name
