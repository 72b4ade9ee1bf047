"""``kubik eval CHECKPOINT --report [-o confusion.png]``: the confusion matrix
(as text, and as a PNG with -o) and per-class precision, recall, F1 and support
with macro and weighted averages (nets.inference.report) of a classification model."""
from pathlib import Path

from ..inference.report import classification_report, format_confusion, format_report, predict
from .common import out
from .parser import UsageError


def report(exp, X, y, batch_size, png=None, title="confusion matrix"):
    """Print the report of ``exp``'s net on X, y; write the confusion matrix to ``png`` if given."""
    if exp.task.num_classes is None:
        raise UsageError("kubik eval --report: the model is a regression (no classes to report on)")
    rep = classification_report(y, predict(exp, X, batch_size))
    out()
    out(format_confusion(rep["confusion"], rep["labels"]))
    out()
    out(format_report(rep, digits=3))
    if png:
        from ..plot import PlotError, plot_confusion
        try:
            path = plot_confusion(rep["confusion"], rep["labels"], Path(png), title)
        except PlotError as e:
            raise UsageError(f"kubik eval -o: {e}") from None
        out(f"wrote {path}")
