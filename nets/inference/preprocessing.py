"""What a trained model needs besides its weights to take raw inputs and give
named answers, stored in every checkpoint (``__kubik__["preprocessing"]``,
arrays under ``preprocessing/``):

    scale, shift, scale_values   the fitted scaler: X' = (X − shift) / scale_values
                                 (training-part statistics; ``scale`` is its kind)
    input_shape, dtype           the per-sample shape and dtype the net takes (a list of
                                 shapes for several inputs, named by ``inputs``)
    features, target, layout     feature column names, the target column (name
                                 or index) and {columns, feature_columns} (the
                                 training table's width and feature indices)
    classes                      class names in index order (None: labels 0..C-1)
    num_classes, task            classification | binary | regression | pairs (a Siamese
                                 net: its outputs are embeddings, pairs nearer than
                                 ``threshold`` are called similar) | ctc (label sequences,
                                 decoded from (T, C) log-probabilities; ``blank`` its blank)
                                 | steps (a class per step: a language model)
    output                       how outputs become probabilities: softmax
                                 (CrossEntropy logits), exp (NLL log-probabilities),
                                 sigmoid (BCEWithLogits), identity (BCE, MSE)
    threshold                    a binary output's decision threshold (0.5, or 0 for logits)
"""
import numpy as np

from ... import losses

from ..checkpoint.tree import unflatten
from ..datasets.inputs import Inputs
from ..datasets.scaling import apply_scaler

KEY = "preprocessing"


def _output_kind(loss):
    if isinstance(loss, losses.CrossEntropy):
        return "softmax"
    if isinstance(loss, losses.NLL):
        return "exp"
    if isinstance(loss, losses.BCEWithLogits):
        return "sigmoid"
    return "identity"


def describe(exp):
    """The preprocessing record of a built experiment (nets.build.Experiment). Data with
    several inputs record ``inputs`` (their names, the graph's order), an ``input_shape``
    per input and a shift / scale per input; a Siamese net's task is ``pairs``."""
    d, task = exp.data, exp.task
    main = getattr(exp.loss, "main", exp.loss)          # a graph's OutputLosses: its first term
    features, target = getattr(d, "features", None), getattr(d, "target", None)   # any data record will do
    if isinstance(main, losses.Contrastive):
        kind = "pairs"
    elif d.num_classes is None:
        kind = "regression"
    elif getattr(task, "ctc", None) is not None:
        kind = "ctc"
    elif getattr(task, "steps", False):
        kind = "steps"
    else:
        kind = "binary" if not task.labels and task.out_shape == (1,) else "classification"
    classes = None
    if getattr(d, "classes", None) is not None and d.num_classes is not None and len(d.classes) >= d.num_classes:
        classes = [str(c) for c in d.classes]
    several = isinstance(d.input_shape, list)
    stat = (lambda v: [np.asarray(x, np.float64) for x in v]) if several else (lambda v: np.asarray(v, np.float64))
    return {
        "scale": exp.config["data"].get("scale", "standard"),
        "shift": stat(getattr(d, "shift", 0.0)),
        "scale_values": stat(getattr(d, "scale", 1.0)),
        "input_shape": [[int(n) for n in s] for s in d.input_shape] if several else [int(s) for s in d.input_shape],
        "inputs": list(d.input_names) if several else None,
        "dtype": str(d.X_train.dtype),
        "features": None if features is None else [str(f) for f in features],
        "target": target if target is None or isinstance(target, (int, str)) else str(target),
        "layout": getattr(d, "layout", None),
        "classes": classes, "num_classes": d.num_classes, "task": kind,
        "output": _output_kind(main), "threshold": task.threshold, "blank": getattr(task, "blank", None),
        "data": exp.config["data"].get("name"),
    }


def recorded_shape(record):
    """The per-sample input shape a record holds: a tuple, or a list of tuples for several inputs."""
    shape = record["input_shape"]
    if record.get("inputs"):
        return [tuple(s) for s in shape]
    return tuple(shape)


def load(meta, arrays):
    """The record a checkpoint holds, or None (a checkpoint from before it was stored)."""
    tree = meta.get(KEY)
    return None if tree is None else unflatten(tree, arrays)


def scale_inputs(record, X):
    """Raw inputs (N, *input_shape) scaled exactly as in training (the same
    float32 arithmetic as nets.datasets.apply_scaler), in the net's dtype; unscaled
    (``scale: none``, as a run trained from Python) they are only cast."""
    if isinstance(X, Inputs):
        if record.get("scale") == "none":
            return X.astype(record["dtype"])
        return apply_scaler(X, record["shift"], record["scale_values"]).astype(record["dtype"])
    if record.get("scale") == "none":
        return np.asarray(X).astype(record["dtype"], copy=False)
    return apply_scaler(np.asarray(X), record["shift"], record["scale_values"]).astype(record["dtype"], copy=False)


def probabilities(record, out):
    """Per-class probabilities (N, C) from the net's outputs (classification),
    (N, 2) for a binary output; None for regression."""
    kind = record["output"]
    out = np.asarray(out, np.float64)
    if record["task"] == "regression":
        return None
    if kind == "softmax":
        z = np.exp(out - out.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
    elif kind == "exp":
        p = np.exp(out)
    elif kind == "sigmoid":
        p = 0.5 * (1.0 + np.tanh(0.5 * out))
    else:
        p = np.clip(out, 0.0, 1.0)
    if record["task"] == "binary":
        p = p.reshape(len(p), 1)
        return np.concatenate([1.0 - p, p], axis=1)
    return p[:, :record["num_classes"]]


def class_indices(record, out):
    """Predicted class index per sample (classification and binary)."""
    if record["task"] == "binary":
        return (np.asarray(out).reshape(len(out)) > record["threshold"]).astype(np.int64)
    return np.asarray(out)[:, :record["num_classes"]].argmax(axis=1)
