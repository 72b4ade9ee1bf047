"""One flat vector viewing many parameters (Torch7's ``getParameters``)."""
import numpy as np

from ..layers import Parameter


class FlatParameters:
    """Re-points each parameter's ``data`` and ``grad`` at consecutive views of
    two flat arrays (values kept), so that an element-wise update can treat
    all of them as one ``Parameter`` — a few ufunc calls per step instead of a
    few per parameter, which is what small networks spend their time on.

    ``intact()`` tells whether that view still holds: every parameter still
    uses its views (``Layer.astype`` or another optimizer may re-bind them) and
    is trainable with unit multipliers. Pending lazy zeros are materialized.
    """

    def __init__(self, params):
        dtype = params[0].dtype
        data = np.empty(sum(p.size for p in params), dtype)
        grad = np.empty_like(data)
        self.views = []
        offset = 0
        for p in params:
            d = data[offset:offset + p.size].reshape(p.shape)
            g = grad[offset:offset + p.size].reshape(p.shape)
            d[...], g[...] = p.data, p.grad
            p.data, p.grad = d, g
            self.views.append((p, d, g))
            offset += p.size
        self.param = Parameter(np.empty(0, dtype))
        self.param.data, self.param.grad = data, grad
        self.state = {}

    @classmethod
    def of(cls, params):
        """A FlatParameters for ``params`` if they share one float dtype, else None."""
        params = list(params)
        if not params or len({p.dtype for p in params}) != 1:
            return None
        return cls(params)

    def intact(self):
        for p, d, g in self.views:
            if (p.data is not d or p.grad is not g or not p.requires_grad
                    or p.lr_mult != 1.0 or p.decay_mult != 1.0):
                return False
        return True
