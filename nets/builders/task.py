"""The loss, and the ``Task`` that turns labels into the loss's targets and
model outputs into accuracy. A graph with several outputs (or a list of losses)
gets an OutputLosses and a GraphTask: each term's own task, metrics from the
first; a Contrastive term's task is PairTask (pair accuracy)."""
import numpy as np

from ... import losses

from ..config import ConfigError, suggest
from ..trainer.output_losses import OutputLosses
from ..trainer.pair_metrics import pair_correct
from .arguments import call, check_complete, lookup, section_kwargs


OUTPUT_KEYS = ("output", "weight")     # a graph's loss entry: which output(s) it reads, its weight


def build_loss(section, outputs=1, path=("loss",)):
    """The loss named by a normalized ``loss`` section (a list of them for a graph:
    an OutputLosses, see ``build_graph_loss``). A loss that compares several predictions
    (MarginRanking, Contrastive, ...) needs that many model outputs (``outputs``), and
    reduction 'none' gives no single number to train on: both are a ConfigError at the entry."""
    if isinstance(section, list):
        return [build_loss(s, outputs, ("loss", i)) for i, s in enumerate(section)]
    cls = lookup(losses.LOSSES, section["name"], path + ("name",))
    kwargs = section_kwargs(section, ("name",) + OUTPUT_KEYS)
    check_complete(cls, kwargs, path)
    loss = call(cls, (), kwargs, path, cls.__name__)
    if loss.reduction == "none":
        raise ConfigError("'none' gives per-sample values, but training and evaluation need one number; "
                          "use 'mean' or 'sum'", path + ("reduction",))
    if len(cls.predictions) > 1 and outputs == 1 and "output" not in section:
        raise ConfigError(f"{cls.__name__} compares {len(cls.predictions)} predictions "
                          f"({', '.join(cls.predictions)}), but the model has one output (a graph with outputs: "
                          f"[...] gives several)", path + ("name",))
    return loss


def build_graph_loss(section, built, outputs):
    """OutputLosses of a graph with outputs ``outputs`` from the loss section(s) and the built
    loss(es): one term per entry (``output:`` a name or a list, default the first output,
    or every output for a loss that compares that many predictions; ``weight:`` default 1)."""
    sections = section if isinstance(section, list) else [section]
    built = built if isinstance(built, list) else [built]
    terms = []
    for i, (sec, loss) in enumerate(zip(sections, built)):
        path = ("loss", i) if isinstance(section, list) else ("loss",)
        want = len(loss.predictions)
        default = outputs[:want] if want > 1 else outputs[0]
        names = sec.get("output", default)
        for name in [names] if isinstance(names, str) else names:
            if name not in outputs:
                raise ConfigError(f"{name!r} is not an output of the model{suggest(name, outputs)}; outputs: "
                                  f"{', '.join(outputs)}", path + ("output",))
        count = 1 if isinstance(names, str) else len(names)
        if count != want:
            raise ConfigError(f"{type(loss).__name__} compares {want} prediction(s) ({', '.join(loss.predictions)}), "
                              f"so output: names {want} output(s); got {names!r}", path + ("output",))
        terms.append((loss, names, sec.get("weight", 1.0)))
    return OutputLosses(terms, outputs)


class PairTask:
    """The task of a Siamese net's contrastive loss: labels 1 (similar) / 0 as the
    targets, a pair called similar when its embeddings are nearer than half the margin."""

    labels, num_classes, out_shape = False, 2, (2,)

    def __init__(self, loss):
        self.threshold = loss.margin / 2

    def targets(self, y):
        return y

    def correct(self, outs, y):
        return pair_correct(outs[0], outs[1], y, self.threshold)


class GraphTask:
    """The task of a graph trained on OutputLosses: each term's targets from its own
    task (a tuple, one per term), accuracy from the first term (the first output)."""

    def __init__(self, loss, tasks):
        self.loss, self.tasks = loss, tasks
        main = tasks[0]
        self.labels, self.num_classes = main.labels, main.num_classes
        self.out_shape, self.threshold = main.out_shape, main.threshold
        self.pairs = isinstance(main, PairTask)

    def targets(self, y):
        return tuple(t.targets(y) for t in self.tasks)

    def correct(self, out, y):
        outs = self.loss.main_outputs(out)
        return self.tasks[0].correct(outs if self.pairs else outs[0], y)


def graph_task(loss, out_shapes, num_classes, target_shape):
    """GraphTask of an OutputLosses on outputs of per-sample shapes ``out_shapes``."""
    tasks = []
    for i, (term, idx, _) in enumerate(loss.terms):
        where = ("model", "outputs", idx[0])
        if isinstance(term, losses.Contrastive):
            tasks.append(PairTask(term))
        else:
            tasks.append(Task(term, out_shapes[idx[0]], num_classes, target_shape, where))
    return GraphTask(loss, tasks)


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
