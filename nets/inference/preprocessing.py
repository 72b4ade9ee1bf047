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


TASKS = ("classification", "binary", "regression", "pairs", "ctc", "steps")
OUTPUTS = ("softmax", "exp", "sigmoid", "identity")
SCALES = ("none", "standard", "minmax", "max")


def _fail(what, value, want):
    text = repr(value)
    raise ValueError(f"{what} is {text[:80] + ('...' if len(text) > 80 else '')}; expected {want}")


def _int(value, low=0):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= low


def _number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_)) \
        and np.isfinite(value)


def check(record):
    """ValueError naming the first entry of a stored record (edited, or damaged) that
    ``kubik.load`` / predict / export could not use as it is: every entry read above
    is checked for its kind, and the scaler for its shape and for a zero, NaN or
    infinite scale (which would give NaN probabilities)."""
    if not isinstance(record, dict):
        _fail("the record", record, "a mapping")
    names = record.get("inputs")
    if names is not None and (not isinstance(names, (list, tuple)) or not names
                              or not all(isinstance(n, str) for n in names)):
        _fail("inputs", names, "null or a list of input names")
    shapes = record.get("input_shape") if names else [record.get("input_shape")]
    if not isinstance(shapes, (list, tuple)) or len(shapes) != len(names or [0]):
        _fail("input_shape", record.get("input_shape"), f"a shape per input ({len(names or [0])})")
    for shape in shapes:
        if not isinstance(shape, (list, tuple)) or not shape or not all(_int(d, 1) for d in shape):
            _fail("input_shape", record.get("input_shape"), "a list of positive integers (one per input)")
    sizes = [int(np.prod(shape)) for shape in shapes]
    size = sizes[0] if not names else None
    try:
        numeric = isinstance(record.get("dtype"), str) and np.dtype(record["dtype"]).kind in "biuf"
    except TypeError:
        numeric = False
    if not numeric:
        _fail("dtype", record.get("dtype"), "the name of a numeric dtype (float32, ...)")
    if record.get("scale") not in SCALES:
        _fail("scale", record.get("scale"), f"one of {', '.join(SCALES)}")
    for key in ("shift", "scale_values"):
        stored = record.get(key, 0.0 if key == "shift" else 1.0)
        several = names and isinstance(stored, (list, tuple))    # a scaler per input (else one for all)
        if several and len(stored) != len(names):
            _fail(key, stored, f"one scaler per input ({len(names)})")
        for value, n in zip(stored if several else [stored] * len(sizes), sizes if several or not names else [1]):
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                _fail(key, stored, "numbers")
            if value.shape not in ((), (1,), (n,)):
                _fail(f"{key} (shape {value.shape})", stored, f"one number or {n} (one per input value)")
            if not np.all(np.isfinite(value)) or (key == "scale_values" and np.any(value == 0)):
                _fail(key, stored, "finite numbers" + (", none of them 0" if key == "scale_values" else ""))
    task = record.get("task")
    if task not in TASKS:
        _fail("task", task, f"one of {', '.join(TASKS)}")
    if record.get("output") not in OUTPUTS:
        _fail("output", record.get("output"), f"one of {', '.join(OUTPUTS)}")
    if task != "regression":
        n = record.get("num_classes")
        if task == "pairs" and n is None:
            n = 2           # same / different
        if not _int(n, 1) or (task == "binary" and n != 2):
            _fail("num_classes", n, "2" if task == "binary" else "an integer >= 1")
        classes = record.get("classes")
        if classes is not None and (not isinstance(classes, (list, tuple)) or len(classes) < n
                                    or not all(isinstance(c, str) for c in classes)):
            _fail("classes", classes, f"null or a list of {n} class names")
        threshold = record.get("threshold")
        if not _number(threshold) and (task in ("binary", "pairs") or threshold is not None):
            _fail("threshold", threshold, "a finite number" + ("" if task in ("binary", "pairs") else " or null"))
    blank = record.get("blank")
    if blank is not None and not _int(blank):
        _fail("blank", blank, "null or a class index")
    features = record.get("features")
    if features is not None and (not isinstance(features, (list, tuple)) or (size and len(features) != size)
                                 or not all(isinstance(f, str) for f in features)):
        _fail("features", features, f"null or a list of {size or 'the'} column names")
    target = record.get("target")
    if target is not None and not isinstance(target, str) and not _int(target):
        _fail("target", target, "null, a column name or a column index")
    layout = record.get("layout")
    if layout is not None:
        cols = layout.get("columns") if isinstance(layout, dict) else None
        feats = layout.get("feature_columns") if isinstance(layout, dict) else None
        if not _int(cols, 1) or not isinstance(feats, (list, tuple)) or (size and len(feats) != size) \
                or not all(_int(c) and c < cols for c in feats):
            _fail("layout", layout, f"null or {{columns, feature_columns: {size} column indices}}")
    return record


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
