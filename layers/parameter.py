"""Parameter: a value and its gradient, like Caffe's Blob."""
import numpy as np


class Parameter:
    """A trainable array and the gradient accumulated for it.

    data  -- the value; optimizers update it in place.
    grad  -- same shape and dtype; backward adds (``+=``) into it,
             ``zero_grad`` clears it.
    lr_mult, decay_mult -- per-parameter multipliers of the optimizer's
             learning rate and weight decay (Caffe's ``lr_mult``/``decay_mult``).
    requires_grad -- False freezes the parameter: optimizers skip it.

    Layers never rebind ``data`` or ``grad``; they write into them. That lets
    an optimizer re-point both at views of one flat buffer.
    """

    __slots__ = ("data", "grad", "lr_mult", "decay_mult", "requires_grad")

    def __init__(self, data, lr_mult=1.0, decay_mult=1.0, requires_grad=True):
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"Parameter: expected a floating array, got dtype {data.dtype}")
        self.data = np.ascontiguousarray(data)
        self.grad = np.zeros_like(self.data)
        self.lr_mult = float(lr_mult)
        self.decay_mult = float(decay_mult)
        self.requires_grad = bool(requires_grad)

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    def zero_grad(self):
        self.grad.fill(0)

    def astype(self, dtype):
        """Convert value and gradient to ``dtype`` (rebinds both arrays)."""
        self.data = self.data.astype(dtype)
        self.grad = self.grad.astype(dtype)
        return self

    def __repr__(self):
        frozen = "" if self.requires_grad else ", frozen"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}{frozen})"
