"""Mean absolute error (L1)."""
import numpy as np

from .loss import Loss, register


@register
class L1(Loss):
    """L = Σ abs(P − T) / n, n = number of elements ('mean') or 1 ('sum');
    reduction='none': the elementwise abs(P − T).

    dL/dP = sign(P − T) / n (0 where P = T, as PyTorch's ``L1Loss``).
    """

    def forward(self, pred, target):
        P, T = self._same_shape(pred, target)
        D = P - T
        self._D, self._s = D, self._scale(D.size)
        return self._reduce(np.abs(D))

    def backward(self):
        G = np.sign(self._cached("_D"))
        if self._s != 1.0:
            G *= self._s
        return G


register(L1, name="L1Loss")  # PyTorch's name
