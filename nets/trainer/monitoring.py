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


def best_choice(monitor, has_val, value=None):
    """How best.npz was chosen, in words: 'the lowest val_loss 0.0712', 'the highest
    val_accuracy 0.9722', or without validation data 'the lowest training loss 0.05'."""
    if not has_val:
        text = "the lowest training loss"
    else:
        text = f"the {'lowest' if monitor == 'val_loss' else 'highest'} {monitor}"
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = None
    return text + (f" {value:.4g}" if value is not None and math.isfinite(value) else "")


def checkpoint_monitor(ckpt):
    """(monitor, has validation data) a checkpoint's run chose best.npz by: its config's
    train.checkpoint.monitor and val_split, or a Python run's recorded settings."""
    cfg = ckpt.config if isinstance(ckpt.config, dict) else {}
    train = cfg.get("train") if isinstance(cfg.get("train"), dict) else None
    if train is not None:
        monitor = (train.get("checkpoint") or {}).get("monitor", "val_loss")
        return monitor, bool(train.get("val_split", 0.1))
    resume = ((ckpt.meta.get("python_run") or {}).get("resume") or {}) if isinstance(ckpt.meta, dict) else {}
    settings = resume.get("settings") or {}
    return settings.get("monitor", "val_loss"), resume.get("val") is not None if resume else True


def which_weights(ckpt):
    """What a checkpoint holds, for messages: 'the weights of epoch 21, chosen for the lowest
    val_loss 0.0712' (best.npz), 'the final weights of epoch 30, step 1230' (last.npz)."""
    tr = ckpt.trainer if isinstance(ckpt.trainer, dict) else {}
    epoch, step, best_epoch = tr.get("epoch"), tr.get("step"), tr.get("best_epoch")
    name = ckpt.path.name
    if name == "best.npz" or (name != "last.npz" and best_epoch is not None and best_epoch == epoch):
        monitor, has_val = checkpoint_monitor(ckpt)
        return f"the weights of epoch {epoch}, chosen for {best_choice(monitor, has_val, tr.get('best'))}"
    if name == "last.npz":
        return f"the final weights of epoch {epoch}, step {step}"
    return f"the weights of epoch {epoch}, step {step}"
