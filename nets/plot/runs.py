"""A run folder as the plots read it: metrics.csv (one row per finished epoch)
and, when diagnostics were on, diagnostics.csv. A run still training is read as
far as it has got (a half-written last line is skipped)."""
import csv
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


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def read_run(path):
    """The ``Run`` in folder ``path``; PlotError if it has no metrics.csv or no finished epoch."""
    path = Path(path)
    metrics = path / "metrics.csv"
    if not metrics.is_file():
        raise PlotError(f"'{path}' is not a run folder with metrics (no metrics.csv)")
    epochs, cols = [], {k: [] for k in ("train_loss", "val_loss", "val_accuracy", "lr")}
    with open(metrics, newline="") as f:
        for row in csv.DictReader(f):
            if not (row.get("epoch") or "").isdigit() or _number(row.get("train_loss")) is None:
                continue
            epochs.append(int(row["epoch"]))
            for k in cols:
                cols[k].append(_number(row.get(k)))
    if not epochs:
        raise PlotError(f"'{path}' has no finished epoch in metrics.csv yet")
    diag = path / "diagnostics.csv"
    rows = read_diagnostics(diag) if diag.is_file() else []
    return Run(path.resolve().name, path, epochs, cols, rows)
