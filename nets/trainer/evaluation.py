"""Evaluating a net: ``evaluate(net, loss, data)`` -> (mean loss, accuracy or
None) and ``predict(net, X)``, both batched and in eval mode (the net's mode
is restored after).

Accuracy needs a ``task`` that turns labels into the loss's targets and
outputs into correct counts. A config's experiment has one (nets.builders.Task);
from Python, ``LabelTask`` is the default: targets are given as they are, and
accuracy is the argmax for CrossEntropy / NLL / MultiMargin on integer labels, or the
output thresholded (0.5, or 0 for BCEWithLogits) for one output of BCE /
BCEWithLogits; otherwise (MSE, ...) there is no accuracy.
"""
import numpy as np

from ... import losses

from .inputs import check_batch_size, check_numbers, check_pair
from ..datasets.inputs import as_inputs, concat_outputs, forward
from .output_losses import OutputLosses, for_net
from .pair_metrics import best_threshold, pair_correct, pair_distances


class LabelTask:
    """The task of a net trained from Python: targets as given, accuracy where the loss implies one.
    A net with several outputs (``OutputLosses``) is judged on its first term's outputs:
    argmax / threshold of its first output, or for a Contrastive term the pair accuracy
    (embeddings nearer than half the margin called similar)."""

    def __init__(self, loss):
        self.pick = loss.main_outputs if isinstance(loss, OutputLosses) else None
        loss = loss.main if isinstance(loss, OutputLosses) else loss
        self.argmax = bool(getattr(loss, "takes_labels", False))
        self.threshold = 0.0 if isinstance(loss, losses.BCEWithLogits) else (
            0.5 if isinstance(loss, losses.BCE) else None)
        self.pair_threshold = loss.margin / 2 if isinstance(loss, losses.Contrastive) else None

    def targets(self, y):
        return y

    def correct(self, out, y):
        """Number of correct predictions, or None when the loss implies no accuracy."""
        if self.pick is not None:
            outs = self.pick(out)
            if self.pair_threshold is not None:
                return pair_correct(outs[0], outs[1], y, self.pair_threshold)
            out = outs[0]
        y = np.asarray(y)
        if self.argmax and y.dtype.kind in "iu" and out.ndim == 2 and y.shape == out.shape[:1]:
            return int((out.argmax(1) == y).sum())
        if self.threshold is not None and out.ndim == 2 and out.shape[1] == 1 and y.size == len(y):
            return int(((out[:, 0] > self.threshold) == (y.reshape(-1) > 0.5)).sum())
        return None


def _arrays(data, what="data"):
    """(X, y) of a DataLoader (checked when it was made) or an (X, y) tuple, checked
    (nets.trainer.inputs: numbers, equal lengths, no NaN; errors name ``what``)."""
    if hasattr(data, "X") and hasattr(data, "y") and hasattr(data, "batch_size"):
        return data.X, data.y
    if isinstance(data, (tuple, list)) and len(data) == 2:
        data = (as_inputs(data[0]), data[1])      # a tuple of arrays: a net with several inputs
    return check_pair(data, what)


def evaluate(net, loss, data=None, batch_size: int = 1000, task=None) -> tuple:
    """(mean loss, accuracy or None) of ``net`` in eval mode on ``data`` ((X, y) or a DataLoader);
    (None, None) for no samples. ``evaluate(experiment, X, y, batch_size)`` (a config's
    experiment) also works."""
    if hasattr(net, "task") and hasattr(net, "net"):          # evaluate(exp, X, y, batch_size)
        exp, X, y = net, loss, data
        return _evaluate(exp.net, exp.loss, X, y, batch_size, exp.task)
    X, Y = _arrays(data, "evaluate: data")
    loss = for_net(net, loss)
    return _evaluate(net, loss, X, Y, check_batch_size(batch_size, "evaluate"), task or LabelTask(loss))


def refuse_per_sample(loss, who):
    """ValueError when ``loss`` has reduction='none' (per-sample values, no single number)."""
    if getattr(loss, "reduction", None) == "none":
        raise ValueError(f"{who}: the loss {loss!r} gives per-sample values (reduction='none'); "
                         f"training and evaluation need reduction 'mean' or 'sum'")


def _evaluate(net, loss, X, y, batch_size, task):
    refuse_per_sample(loss, "evaluate")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"evaluate: batch_size must be an integer >= 1, got {batch_size!r}")
    if not len(X):
        return None, None
    was = net.training
    net.eval()
    total, correct = 0.0, 0
    try:
        for i in range(0, len(X), batch_size):
            out = forward(net, X[i:i + batch_size])
            yb = y[i:i + batch_size]
            total += loss.forward(out, task.targets(yb)) * len(yb)
            c = task.correct(out, yb)
            correct = None if c is None or correct is None else correct + c
    finally:
        net.train(was)
    return total / len(X), (None if correct is None else correct / len(X))


def predict(net, X, batch_size: int = 1000) -> np.ndarray:
    """The net's outputs for ``X`` (an array, a tuple of arrays for a net with several inputs, or a
    DataLoader), in eval mode, ``batch_size`` samples at a time; a tuple of arrays for several outputs."""
    if hasattr(X, "batch_size") and hasattr(X, "X"):
        X = X.X
    X = check_numbers(as_inputs(X), "predict: X")
    check_batch_size(batch_size, "predict")
    was = net.training
    net.eval()
    try:
        outs = [forward(net, X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
    finally:
        net.train(was)
    if not outs:
        raise ValueError("predict: X has no samples")
    return concat_outputs(outs)


def pair_accuracy(net, loss, X, y, batch_size=1000):
    """(best threshold, accuracy there) of a Siamese net trained with a Contrastive loss
    (the first term of its OutputLosses): pairs whose embeddings are nearer than the
    threshold are called similar, the threshold chosen to call the most pairs of ``y``
    right (``kubik eval``'s pair accuracy)."""
    outs = predict(net, X, batch_size)
    a, b = loss.main_outputs(outs) if isinstance(loss, OutputLosses) else outs[:2]
    return best_threshold(pair_distances(a, b), y)


def is_pair_loss(loss):
    """Whether metrics read a Contrastive loss (a Siamese net)."""
    return isinstance(getattr(loss, "main", loss), losses.Contrastive)
