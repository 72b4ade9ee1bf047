"""Loss: the contract of every loss, and the loss registry.

    value = loss.forward(pred, target)   # a Python float; caches what backward needs
    dpred = loss.backward()              # d value / d pred, shaped like pred

reduction='mean' (default) or 'sum', with PyTorch's meaning.

An empty batch (``pred`` with 0 samples) is refused with a ValueError naming
the loss, as layers refuse it (``Loss.__init_subclass__`` applies this to
every loss's ``forward``), rather than a ZeroDivisionError or a NaN.
"""
import functools

import numpy as np

from ..layers import Registry
from ..layers.core.layer import read_cache
from ..layers.core.spec import entry, record_init, recording

LOSSES = Registry("loss")
register = LOSSES.register


def refuse_empty(forward):
    """``forward`` that raises a ValueError naming the loss for 0 samples."""
    @functools.wraps(forward)
    def wrapper(self, pred, target, *args, **kwargs):
        shape = getattr(pred, "shape", None)
        if shape and not shape[0]:
            raise ValueError(f"{type(self).__name__}: got an empty batch (pred of shape {shape}, 0 samples); "
                             f"give at least one sample")
        return forward(self, pred, target, *args, **kwargs)
    wrapper.checks_input = True
    return wrapper


class Loss:
    """Base class: validates ``reduction`` and offers shape checks."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        forward = cls.__dict__.get("forward")
        if forward is not None and not getattr(forward, "checks_input", False):
            cls.forward = refuse_empty(forward)
        record_init(cls)      # its constructor arguments, for spec(): layers/core/spec.py

    def spec(self):
        """This loss as a registry name and its arguments, ``{"CrossEntropy": {"label_smoothing": 0.1}}``
        or ``"MSE"``; ``layers.SpecError`` when it cannot be written (see layers/core/spec.py)."""
        return entry(self, LOSSES, "loss")

    def __init__(self, reduction="mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    __init__ = recording(__init__)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """The scalar loss of a batch; caches what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self) -> np.ndarray:
        """dL/dpred, the same shape as ``pred`` (the loss is the end of the chain: G = 1)."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, pred, target):
        return self.forward(pred, target)

    def _cached(self, *names):
        """Values cached by forward; a clear error if forward has not run."""
        return read_cache(self, names)

    def _same_shape(self, pred, target):
        pred, target = np.asarray(pred), np.asarray(target)
        if pred.shape != target.shape:
            raise ValueError(f"{self!r}: pred has shape {pred.shape} but target has shape {target.shape}; they must match")
        if pred.dtype.kind != "f":
            raise TypeError(f"{self!r}: pred must be a floating array, got dtype {pred.dtype}")
        return pred, target.astype(pred.dtype, copy=False)

    def _scale(self, n):
        """1/n for reduction='mean', 1 for 'sum'."""
        return 1.0 / n if self.reduction == "mean" else 1.0

    def extra_repr(self) -> str:
        """The arguments shown inside ``repr(loss)``."""
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"
