"""Loss: the contract of every loss, and the loss registry.

    value = loss.forward(pred, target)   # a Python float; caches what backward needs
    dpred = loss.backward()              # d value / d pred, shaped like pred

``reduction`` has PyTorch's meaning: 'mean' (default) averages, 'sum' adds up,
'none' returns the array of per-sample values (per element for the elementwise
losses, per sample or position for the others) and ``backward()`` then gives
the gradient of their sum (an all-ones upstream gradient).

A loss that compares several predictions takes them positionally before the
target (``MarginRanking.forward(x1, x2, y)``, ``TripletMargin.forward(anchor,
positive, negative)``, which has no target) and its ``backward()`` returns one
gradient per prediction, as a tuple. ``predictions`` names the arguments of
``forward`` that get a gradient, in the order ``backward`` returns them
(GaussianNLL keeps PyTorch's order ``forward(input, target, var)``).

An empty batch (``pred`` with 0 samples) is refused with a ValueError naming
the loss, as layers refuse it (``Loss.__init_subclass__`` applies this to
every loss's ``forward``), rather than a ZeroDivisionError or a NaN.
"""
import functools
import inspect

import numpy as np

from ..layers import Registry
from ..layers.core.layer import read_cache
from ..layers.core.spec import entry, record_init, recording

LOSSES = Registry("loss")
register = LOSSES.register
REDUCTIONS = ("mean", "sum", "none")


def refuse_empty(forward):
    """``forward`` that raises a ValueError naming the loss for 0 samples."""
    @functools.wraps(forward)
    def wrapper(self, *args, **kwargs):
        shape = getattr(args[0], "shape", None) if args else None
        if shape and not shape[0]:
            raise ValueError(f"{type(self).__name__}: got an empty batch (pred of shape {shape}, 0 samples); "
                             f"give at least one sample")
        return forward(self, *args, **kwargs)
    wrapper.checks_input = True
    return wrapper


class Loss:
    """Base class: validates ``reduction`` and offers shape checks and the reductions.

    Class attributes a loss may set: ``predictions`` (the names of ``forward``'s
    arguments that ``backward`` differentiates, in its order; default ``("pred",)``),
    ``takes_labels`` (True: the target is integer class labels and the outputs are
    class scores, as for CrossEntropy), ``reductions`` (the accepted values).
    """

    predictions = ("pred",)
    takes_labels = False
    reductions = REDUCTIONS

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
        if reduction not in self.reductions:
            *head, last = [repr(r) for r in self.reductions]
            raise ValueError(f"{type(self).__name__}: reduction must be {', '.join(head)} or {last}, "
                             f"got {reduction!r}")
        self.reduction = reduction

    __init__ = recording(__init__)

    def forward(self, pred: np.ndarray, target: np.ndarray):
        """The loss of a batch (a float; the per-sample array for reduction='none');
        caches what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self):
        """dL/dpred, the same shape as ``pred`` (the loss is the end of the chain: G = 1;
        for reduction='none', L is the sum of the per-sample values); a tuple of
        gradients for a loss with several predictions."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, *args):
        return self.forward(*args)

    @classmethod
    def arguments(cls):
        """The names of ``forward``'s positional arguments, e.g. ``("pred", "target")``."""
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
        return tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))

    @classmethod
    def call_arguments(cls, predictions, target=None):
        """``forward``'s positional arguments from the predictions (in ``cls.predictions``
        order) and the target (None for a loss without one)."""
        preds = list(predictions)
        if len(preds) != len(cls.predictions):
            raise ValueError(f"{cls.__name__}: takes {len(cls.predictions)} prediction(s) "
                             f"({', '.join(cls.predictions)}), got {len(preds)}")
        names = cls.arguments()
        out = [preds.pop(0) if name in cls.predictions else target for name in names]
        if len(names) == len(cls.predictions) and target is not None:
            raise ValueError(f"{cls.__name__}: takes no target (forward{tuple(names)}), but one was given")
        return out

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
        """1/n for an averaging reduction ('mean', KLDiv's 'batchmean'), 1 for 'sum' and
        'none' (the gradient of the sum)."""
        return 1.0 / n if self.reduction in ("mean", "batchmean") else 1.0

    def _reduce(self, per, n=None):
        """The loss from the per-sample (or per-element) values ``per``: ``per`` itself
        ('none'), its sum ('sum') or its sum / n ('mean'; n = ``per.size`` by default)."""
        if self.reduction == "none":
            return per
        total = float(per.sum())
        return total if self.reduction == "sum" else total / (per.size if n is None else n)

    def extra_repr(self) -> str:
        """The arguments shown inside ``repr(loss)``."""
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"
