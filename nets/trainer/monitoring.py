"""The monitored metric at an epoch's end: which epoch is the best so far
(for best.npz) and when early stopping ends the run."""
import math
from dataclasses import dataclass


def improved(value, best, monitor, min_delta):
    """Whether ``value`` beats ``best`` by more than ``min_delta`` (lower
    val_loss, higher val_accuracy); the first value always does. NaN or
    infinity never does, so it never becomes a best value."""
    if value is None or not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if monitor == "val_loss" else value > best + min_delta


@dataclass
class EpochMetrics:
    """One epoch's losses and accuracy (val_* None when it did not validate)."""
    train_loss: float
    val_loss: float
    val_accuracy: float
    has_val: bool

    def of(self, monitor):
        """(value, monitor) — without validation data, the training loss stands in."""
        if not self.has_val:
            return self.train_loss, "val_loss"
        return (self.val_loss if monitor == "val_loss" else self.val_accuracy), monitor


def track_best(state, metrics, monitor, epoch):
    """Record ``epoch`` as the best in ``state`` if it improved ``monitor``; returns whether it did."""
    value, mon = metrics.of(monitor)
    if not improved(value, state["best"], mon, 0.0):
        return False
    state["best"], state["best_epoch"] = value, epoch
    return True


def early_stop(state, metrics, es, epoch):
    """Count an epoch without improvement of ``es['monitor']``; True (and
    ``state['done']`` says why) when ``es['patience']`` of them are reached."""
    value, mon = metrics.of(es["monitor"])
    if improved(value, state["es_best"], mon, es["min_delta"]):
        state["es_best"], state["bad_epochs"] = value, 0
        return False
    state["bad_epochs"] += 1
    if state["bad_epochs"] < es["patience"]:
        return False
    state["done"] = (f"early stopping after epoch {epoch}: {es['monitor']} has not improved for "
                     f"{state['bad_epochs']} validations (best {state['es_best']:.4g})")
    return True
