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

    ``zero_grad()`` is lazy, like PyTorch's ``set_to_none``: it only marks the
    gradient as zero. Reading ``grad`` then returns zeros (filled on first
    access), and ``accumulate_matmul`` writes its first product straight into
    the gradient, saving a fill and an add per step in hot layers.
    """

    __slots__ = ("data", "_grad", "_zero_pending", "lr_mult", "decay_mult", "requires_grad")

    def __init__(self, data, lr_mult=1.0, decay_mult=1.0, requires_grad=True):
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"Parameter: expected a floating array, got dtype {data.dtype}")
        self.data = np.ascontiguousarray(data)
        self._grad = np.zeros_like(self.data)
        self._zero_pending = False
        self.lr_mult = float(lr_mult)
        self.decay_mult = float(decay_mult)
        self.requires_grad = bool(requires_grad)

    @property
    def shape(self):
        """Shape of ``data``."""
        return self.data.shape

    @property
    def dtype(self):
        """dtype of ``data`` (and of ``grad``)."""
        return self.data.dtype

    @property
    def size(self):
        """Number of scalars in ``data``."""
        return self.data.size

    @property
    def grad(self):
        """dL/d``data``, same shape and dtype; backward adds into it."""
        if self._zero_pending:
            self._grad.fill(0)
            self._zero_pending = False
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value
        self._zero_pending = False

    def zero_grad(self):
        """Mark the gradient zero; it is filled with zeros only when next read."""
        self._zero_pending = True

    def accumulate_matmul(self, A, B):
        """grad += A @ B (written in place when the gradient is pending zero)."""
        if self._zero_pending:
            np.matmul(A, B, out=self._grad)
            self._zero_pending = False
        else:
            self._grad += A @ B

    def astype(self, dtype):
        """Convert value and gradient to ``dtype`` (rebinds both arrays)."""
        self.data = self.data.astype(dtype)
        self.grad = self.grad.astype(dtype)  # materializes a pending zero
        return self

    def __repr__(self):
        frozen = "" if self.requires_grad else ", frozen"
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}{frozen})"
