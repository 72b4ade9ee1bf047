"""metrics.csv, one row per epoch, and the line printed at each epoch's end."""
import csv
import io

from .files import atomic_write_text

METRICS = ("epoch", "step", "train_loss", "val_loss", "val_accuracy", "lr", "seconds")


def _g(value):
    return "" if value is None else f"{value:.6g}"


def _number(text):
    if text in ("", None):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return None


class MetricsLog:
    """The run's metrics.csv, with a header and columns ``METRICS``."""

    def __init__(self, path):
        self.path = path

    def _rows(self, completed_epochs):
        if not self.path.exists():
            return []
        with open(self.path, newline="") as f:
            return [r for r in csv.DictReader(f) if (r.get("epoch") or "").isdigit()
                    and int(r["epoch"]) <= completed_epochs]

    def read(self, completed_epochs):
        """The rows of the first ``completed_epochs`` epochs, as dicts of numbers."""
        return [{k: _number(r.get(k) or "") for k in METRICS} for r in self._rows(completed_epochs)]

    def start(self, completed_epochs):
        """Create the file, or keep only the rows of the epochs a resumed checkpoint has
        completed (rewritten atomically); returns the kept rows as dicts of numbers."""
        rows = self._rows(completed_epochs)
        text = io.StringIO()
        w = csv.DictWriter(text, METRICS)
        w.writeheader()
        w.writerows({k: r.get(k) or "" for k in METRICS} for r in rows)
        atomic_write_text(self.path, text.getvalue())
        return self.read(completed_epochs)

    def write(self, row):
        """Append one epoch's row (a dict with ``METRICS`` keys; None as an empty cell)."""
        cells = {k: _g(row[k]) for k in METRICS}
        cells.update(epoch=row["epoch"], step=row["step"], seconds=f"{row['seconds']:.3f}")
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, METRICS).writerow(cells)


def epoch_line(epoch, epochs, train_loss, val_loss, val_acc, lr, seconds):
    """'epoch 3/10  train loss 0.1234  val loss 0.2345  val acc 93.10%  lr 0.1  4.2s'."""
    parts = [f"epoch {epoch}/{epochs}", f"train loss {train_loss:.4f}"]
    if val_loss is not None:
        parts.append(f"val loss {val_loss:.4f}")
    if val_acc is not None:
        parts.append(f"val acc {100 * val_acc:.2f}%")
    parts += [f"lr {lr:.4g}", f"{seconds:.1f}s"]
    return "  ".join(parts)
