"""The loss, and the ``Task`` that turns labels into the loss's targets and
model outputs into accuracy."""
import numpy as np

from ... import losses

from ..config import ConfigError
from .arguments import call, check_complete, lookup, section_kwargs


def build_loss(section):
    """The loss named by a normalized ``loss`` section. A loss that compares several
    predictions (MarginRanking, TripletMargin, GaussianNLL, ...) needs a model with
    several outputs, and reduction 'none' gives no single number to train on: both are a
    ConfigError at the entry."""
    cls = lookup(losses.LOSSES, section["name"], ("loss", "name"))
    kwargs = section_kwargs(section, ("name",))
    check_complete(cls, kwargs, ("loss",))
    loss = call(cls, (), kwargs, ("loss",), cls.__name__)
    if loss.reduction == "none":
        raise ConfigError("'none' gives per-sample values, but training and evaluation need one number; "
                          "use 'mean' or 'sum'", ("loss", "reduction"))
    if len(cls.predictions) > 1:
        raise ConfigError(f"{cls.__name__} compares {len(cls.predictions)} predictions "
                          f"({', '.join(cls.predictions)}), but a model given as a list of layers has one output",
                          ("loss", "name"))
    return loss


class Task:
    """Turns integer labels (or regression targets) into what the loss
    expects and model outputs into an accuracy.

    CrossEntropy / NLL / MultiMargin (``loss.takes_labels``): integer labels, accuracy by argmax. BCE, BCEWithLogits,
    MSE on labels: a single output gets labels as (N, 1) floats (accuracy by
    thresholding at 0.5, or 0 for logits), several outputs get one-hot rows
    (accuracy by argmax). A float target is a regression: no accuracy.
    """

    def __init__(self, loss, out_shape, num_classes, target_shape=(), where=("model",)):
        self.labels = bool(getattr(loss, "takes_labels", False))
        self.out_shape, self.num_classes = tuple(out_shape), num_classes
        self.threshold = 0.0 if isinstance(loss, losses.BCEWithLogits) else 0.5
        name = type(loss).__name__
        if num_classes is None:
            if self.labels:
                raise ConfigError(f"{name} needs integer class labels, but the data's targets are real numbers "
                                  f"(use MSE for regression)", ("loss",))
            want = tuple(target_shape) or (1,)
            if self.out_shape != want:
                raise ConfigError(f"the model outputs {self.out_shape} per sample, the regression targets are "
                                  f"{want}", where)
            return
        if len(self.out_shape) != 1:
            raise ConfigError(f"the model outputs shape {self.out_shape} per sample; {name} on class labels "
                              f"needs a flat vector of scores (add Flatten and Linear)", where)
        width = self.out_shape[0]
        if self.labels and width != num_classes:    # wider would train scores for classes that never occur
            raise ConfigError(f"the last layer gives {width} outputs, but the data has {num_classes} classes "
                              f"(set its out_features to {num_classes})", where)
        if not self.labels and width != 1 and width != num_classes:
            raise ConfigError(f"the last layer gives {width} outputs; {name} on {num_classes} classes needs 1 "
                              f"output (two classes) or {num_classes} (one-hot)", where)
        if not self.labels and width == 1 and num_classes > 2:
            raise ConfigError(f"one output cannot separate {num_classes} classes; use {num_classes} outputs "
                              f"(one-hot) or CrossEntropy", where)

    def targets(self, y):
        """What the loss compares the outputs with, for labels (or targets) ``y``."""
        if self.num_classes is None:
            return (y.reshape(len(y), *self.out_shape)).astype(np.float32)
        if self.labels:
            return y
        if self.out_shape == (1,):
            return y.reshape(-1, 1).astype(np.float32)
        onehot = np.zeros((len(y), self.out_shape[0]), np.float32)
        onehot[np.arange(len(y)), y] = 1.0
        return onehot

    def correct(self, out, y):
        """Number of correct predictions (None for regression)."""
        if self.num_classes is None:
            return None
        pred = (out[:, 0] > self.threshold).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
        return int((pred == y).sum())
