"""Classification report of a model on a data split: the confusion matrix and
per-class precision, recall, F1 and support, with the semantics of scikit-learn's
``confusion_matrix`` and ``classification_report`` (computed with numpy).

For class c, with TP = samples of class c predicted c, FP = others predicted c,
FN = samples of class c predicted otherwise:

    precision = TP / (TP + FP)    recall = TP / (TP + FN)    (0 when the denominator is 0)
    F1 = 2 · precision · recall / (precision + recall)       (0 when both are 0)
    support = TP + FN             (samples of class c)

macro avg: the plain mean over the classes; weighted avg: weighted by support;
accuracy: the fraction of samples predicted right. ``labels`` defaults, as in
scikit-learn, to the sorted union of the labels present in y_true and y_pred.
"""
import numpy as np

from ..trainer.evaluation import predict as outputs


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """(C, C) int64 array, rows = true label, columns = predicted label, in the order of
    ``labels`` (default: the sorted labels of y_true and y_pred); returns (matrix, labels)."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: y_true has {y_true.size} labels, y_pred {y_pred.size}")
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels)
    index = {v: i for i, v in enumerate(labels.tolist())}
    C = len(labels)
    keep = np.isin(y_true, labels) & np.isin(y_pred, labels)
    t = np.array([index[v] for v in y_true[keep].tolist()], np.int64)
    p = np.array([index[v] for v in y_pred[keep].tolist()], np.int64)
    return np.bincount(t * C + p, minlength=C * C).reshape(C, C), labels


def _ratio(a, b):
    out = np.zeros(len(a))
    np.divide(a, b, out=out, where=b > 0)
    return out


def classification_report(y_true, y_pred, labels=None) -> dict:
    """{'labels', 'precision', 'recall', 'f1', 'support' (arrays per class), 'accuracy',
    'macro avg', 'weighted avg' ((precision, recall, f1, support))} and 'confusion'."""
    cm, labels = confusion_matrix(y_true, y_pred, labels)
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(1)
    precision, recall = _ratio(tp, cm.sum(0)), _ratio(tp, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    total = int(support.sum())
    w = support / total if total else np.zeros(len(support))
    n = max(len(labels), 1)
    return {"labels": labels, "confusion": cm, "precision": precision, "recall": recall, "f1": f1,
            "support": support, "accuracy": float(tp.sum() / total) if total else 0.0,
            "macro avg": (precision.sum() / n, recall.sum() / n, f1.sum() / n, total),
            "weighted avg": (float(w @ precision), float(w @ recall), float(w @ f1), total)}


def format_report(rep, digits=2, names=None):
    """The report as scikit-learn prints it (class names ``names`` or the labels)."""
    names = [str(v) for v in (rep["labels"].tolist() if names is None else names)]
    width = max([len(s) for s in names] + [len("weighted avg"), digits])
    head = " " * width + "".join(f"{h:>{10}}" for h in ("precision", "recall", "f1-score", "support"))
    lines = [head, ""]
    for i, name in enumerate(names):
        vals = (rep["precision"][i], rep["recall"][i], rep["f1"][i])
        lines.append(f"{name:>{width}}" + "".join(f"{v:>10.{digits}f}" for v in vals) + f"{rep['support'][i]:>10}")
    lines.append("")
    total = rep["macro avg"][3]
    lines.append(f"{'accuracy':>{width}}" + " " * 20 + f"{rep['accuracy']:>10.{digits}f}{total:>10}")
    for key in ("macro avg", "weighted avg"):
        p, r, f, s = rep[key]
        lines.append(f"{key:>{width}}" + "".join(f"{v:>10.{digits}f}" for v in (p, r, f)) + f"{s:>10}")
    return "\n".join(lines)


def format_confusion(cm, labels):
    """The confusion matrix as text: rows true, columns predicted."""
    names = [str(v) for v in labels]
    w = max([len(n) for n in names] + [len(str(int(cm.max()))) if cm.size else 1, 4]) + 1
    lines = ["rows: true label, columns: predicted label",
             " " * w + "".join(f"{n:>{w}}" for n in names)]
    lines += [f"{names[i]:>{w}}" + "".join(f"{int(v):>{w}}" for v in row) for i, row in enumerate(cm)]
    return "\n".join(lines)


def predict(exp, X, batch_size=1000):
    """Predicted class labels of the experiment's net (eval mode) for X, as ``Task.correct`` decides:
    argmax of the scores, or a single output thresholded (0.5, or 0 for logits)."""
    task = exp.task
    out = outputs(exp.net, X, batch_size) if len(X) else np.zeros((0,) + tuple(task.out_shape))
    return (out[:, 0] > task.threshold).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
