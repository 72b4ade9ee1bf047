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

    CrossEntropy / NLL / MultiMargin (``loss.takes_labels``): integer labels, accuracy by argmax;
    a label per step (targets (T,), outputs (T, C): a language model) gives the accuracy of
    every step. CTC: label rows padded with the blank, outputs (T, C) log-probabilities;
    accuracy = whole sequences decoded right (greedy). BCE, BCEWithLogits,
    MSE on labels: a single output gets labels as (N, 1) floats (accuracy by
    thresholding at 0.5, or 0 for logits), several outputs get one-hot rows
    (accuracy by argmax). A float target is a regression: no accuracy.
    """

    def __init__(self, loss, out_shape, num_classes, target_shape=(), where=("model",)):
        self.labels = bool(getattr(loss, "takes_labels", False))
        self.out_shape, self.num_classes = tuple(out_shape), num_classes
        self.threshold = 0.0 if isinstance(loss, losses.BCEWithLogits) else 0.5
        self.ctc = self.blank = None
        self.steps = False            # a label per step
        name = type(loss).__name__
        if isinstance(loss, losses.CTC):
            self._ctc(loss, num_classes, target_shape, where)
            return
        if self.labels and num_classes is not None and len(self.out_shape) == 2 \
                and tuple(target_shape) == self.out_shape[:1]:
            self.steps = True
            if self.out_shape[1] != num_classes:
                raise ConfigError(f"the last layer gives {self.out_shape[1]} scores per step, but the data has "
                                  f"{num_classes} classes (set its out_features to {num_classes})", where)
            return
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

    def _ctc(self, loss, num_classes, target_shape, where):
        if num_classes is None or len(target_shape) != 1:
            raise ConfigError("CTC needs integer label rows (a sequence of labels per sample, padded with the "
                              "blank)", ("loss",))
        if len(self.out_shape) != 2:
            raise ConfigError(f"the model outputs shape {self.out_shape} per sample; CTC needs (T, C) "
                              f"log-probabilities per step (end with LogSoftmax over the classes)", where)
        T, C = self.out_shape
        if C != num_classes:
            raise ConfigError(f"the last layer gives {C} scores per step, but the labels and the blank make "
                              f"{num_classes} classes (set its out_features to {num_classes})", where)
        if loss.blank >= C:
            raise ConfigError(f"the blank {loss.blank} is not one of the {C} classes", ("loss", "blank"))
        if target_shape[0] > T:
            raise ConfigError(f"the model gives {T} steps per sample, fewer than the {target_shape[0]} labels of a "
                              f"label row; CTC needs at least one step per label", where)
        self.ctc, self.blank = loss, loss.blank

    def decode(self, out):
        """Greedy CTC decoding of outputs (N, T, C): a list of label lists."""
        return losses.ctc_greedy_decode(out, blank=self.blank)

    def targets(self, y):
        """What the loss compares the outputs with, for labels (or targets) ``y``."""
        if self.ctc is not None or self.steps:
            return y
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
        """Number of correct predictions (None for regression): for CTC the sequences decoded
        exactly, for labels per step the sum of each sample's fraction of steps right."""
        if self.num_classes is None:
            return None
        if self.ctc is not None:
            return sum(p == t for p, t in zip(self.decode(out), label_rows(y, self.blank)))
        if self.steps:
            return float((out.argmax(-1) == y).mean(axis=1).sum())
        pred = (out[:, 0] > self.threshold).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
        return int((pred == y).sum())


def label_rows(y, blank):
    """Padded label rows (N, S) as lists of labels (padding: the blank or negative values)."""
    y = np.asarray(y)
    keep = (y != blank) & (y >= 0)
    return [row[k].tolist() for row, k in zip(y, keep)]
