"""Mean squared error."""
from .loss import Loss, register


@register
class MSE(Loss):
    """L = Σ (P − T)² / n, n = number of elements ('mean') or 1 ('sum');
    reduction='none': the elementwise (P − T)². dL/dP = 2 (P − T) / n."""

    def forward(self, pred, target):
        pred, target = self._same_shape(pred, target)
        D = pred - target
        self._D, self._s = D, self._scale(D.size)
        if self.reduction == "none":
            return D * D
        return float((D.ravel() @ D.ravel()) * self._s)

    def backward(self):
        D = self._cached("_D")
        return D * (2.0 * self._s)


register(MSE, name="MSELoss")  # PyTorch's name
