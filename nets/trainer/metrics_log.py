"""metrics.csv, one row per epoch, and the line printed at each epoch's end."""
import csv

METRICS = ("epoch", "step", "train_loss", "val_loss", "val_accuracy", "lr", "seconds")


def _g(value):
    return "" if value is None else f"{value:.6g}"


class MetricsLog:
    """The run's metrics.csv, with a header and columns ``METRICS``."""

    def __init__(self, path):
        self.path = path

    def start(self, completed_epochs):
        """Create the file, or keep only the rows of the epochs a resumed checkpoint has completed."""
        rows = []
        if self.path.exists():
            with open(self.path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if r.get("epoch", "").isdigit()
                        and int(r["epoch"]) <= completed_epochs]
        with open(self.path, "w", newline="") as f:
            w = csv.DictWriter(f, METRICS)
            w.writeheader()
            w.writerows({k: r.get(k, "") for k in METRICS} for r in rows)

    def write(self, epoch, step, train_loss, val_loss, val_acc, lr, seconds):
        """Append one epoch's row (missing values as empty cells)."""
        row = {"epoch": epoch, "step": step, "train_loss": _g(train_loss), "val_loss": _g(val_loss),
               "val_accuracy": _g(val_acc), "lr": _g(lr), "seconds": f"{seconds:.3f}"}
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, METRICS).writerow(row)


def epoch_line(epoch, epochs, train_loss, val_loss, val_acc, lr, seconds):
    """'epoch 3/10  train loss 0.1234  val loss 0.2345  val acc 93.10%  lr 0.1  4.2s'."""
    parts = [f"epoch {epoch}/{epochs}", f"train loss {train_loss:.4f}"]
    if val_loss is not None:
        parts.append(f"val loss {val_loss:.4f}")
    if val_acc is not None:
        parts.append(f"val acc {100 * val_acc:.2f}%")
    parts += [f"lr {lr:.4g}", f"{seconds:.1f}s"]
    return "  ".join(parts)
