"""How a call to ``Trainer.fit`` ends: a ``Result`` (with the ``History`` of
epoch metrics), or ``Diverged`` when the loss or the weights became NaN or
infinite."""
from dataclasses import dataclass, field

from .metrics_log import METRICS


class Diverged(Exception):
    """The loss (or the weights after a step) became NaN or infinite; the message names the step."""


class History(list):
    """One dict per completed epoch (``METRICS`` keys: epoch, step, train_loss,
    val_loss, val_accuracy, lr, seconds; None where not measured), earlier
    sessions of a resumed run included. ``as_dict()`` gives one list per column."""

    def as_dict(self):
        """One list per metric column (``METRICS``), one entry per epoch."""
        return {k: [row.get(k) for row in self] for k in METRICS}


@dataclass
class Result:
    """The outcome of ``Trainer.fit``; ``message`` says why it stopped (may be empty)."""
    status: str          # "finished", "early_stopped", "interrupted", "stopped" (by a callback), "already_done"
    epoch: int
    step: int
    best: float = None
    best_epoch: int = None
    message: str = ""
    history: History = field(default_factory=History)


def kept_text(run_dir, saved):
    """What is left to resume from after a divergence: ``saved`` describes the last
    last.npz this run wrote or resumed from (None: none)."""
    if run_dir is None:
        return "no run folder (out=None), so nothing was saved"
    last = run_dir / "last.npz"
    if saved is None or not last.exists():
        return (f"no checkpoint had been written yet, so {run_dir} holds nothing to resume "
                f"(running it again with the same output folder starts afresh)")
    if saved["pos"] == 0:
        return (f"the last good checkpoint, {last} (epoch {saved['epoch']}, step {saved['step']}: finite "
                f"weights and validation loss), is kept")
    best = run_dir / "best.npz"
    tail = (f"; the last validated checkpoint is {best} (epoch {saved['best_epoch']})"
            if saved["best_epoch"] is not None and best.exists() else "; no validated checkpoint exists yet")
    return f"{last} (step {saved['step']}, saved mid-epoch {saved['epoch'] + 1}) is kept to resume from{tail}"


def diverged_message(head, kept):
    """'<head: what is not finite, at which step>; <what is kept>. Try ...' on one line."""
    return f"{head}; {kept}. Try a smaller optimizer.lr or train.clip_norm"
