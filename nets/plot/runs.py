"""A run folder as the plots read it: metrics.csv (one row per finished epoch)
and, when diagnostics were on, diagnostics.csv. A run still training is read as
far as it has got (a half-written last line is skipped); a value that is not a
finite number (an infinite loss) is left out of the plot; a file that is not
UTF-8 text, not a CSV table or holds a cell of more than csv's field limit is a
PlotError naming it."""
import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import read_diagnostics
from .backend import PlotError


@dataclass
class Run:
    name: str
    path: Path
    epochs: list
    columns: dict                                     # train_loss, val_loss, val_accuracy, lr -> [float or None]
    diagnostics: list = field(default_factory=list)   # [(step, name, metric, value)]


def _parsed(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _number(text):
    """A finite value, or None (not a number, or an infinite / NaN loss, which is left out)."""
    value = _parsed(text)
    return value if value is not None and math.isfinite(value) else None


def _unreadable(path, e):
    """The PlotError for a metrics or diagnostics file that cannot be read."""
    if isinstance(e, UnicodeDecodeError):
        why = f"not UTF-8 text (byte {e.object[e.start:e.start + 1].hex()} at offset {e.start})"
    elif isinstance(e, csv.Error):
        why = f"not a CSV table ({str(e)[:120]})"
    else:
        why = getattr(e, "strerror", None) or str(e)[:120]
    return PlotError(f"cannot read '{path}': {why}")


def read_run(path):
    """The ``Run`` in folder ``path``; PlotError if it has no metrics.csv or no finished epoch."""
    path = Path(path)
    metrics = path / "metrics.csv"
    if not metrics.is_file():
        raise PlotError(f"'{path}' is not a run folder with metrics (no metrics.csv)")
    epochs, cols = [], {k: [] for k in ("train_loss", "val_loss", "val_accuracy", "lr")}
    try:
        with open(metrics, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                epoch = row.get("epoch") or ""
                if not (isinstance(epoch, str) and epoch.isdigit() and len(epoch) < 10) or \
                        _parsed(row.get("train_loss")) is None:       # a torn last line
                    continue
                epochs.append(int(epoch))
                for k in cols:
                    cols[k].append(_number(row.get(k)))
    except (UnicodeDecodeError, csv.Error, OSError) as e:
        raise _unreadable(metrics, e) from None
    if not epochs:
        raise PlotError(f"'{path}' has no finished epoch in metrics.csv yet")
    diag = path / "diagnostics.csv"
    try:
        rows = read_diagnostics(diag) if diag.is_file() else []
    except (UnicodeDecodeError, csv.Error, OSError) as e:
        raise _unreadable(diag, e) from None
    return Run(path.resolve().name, path, epochs, cols, rows)
