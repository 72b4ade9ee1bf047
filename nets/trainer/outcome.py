"""How a call to ``Trainer.fit`` ends: a ``Result``, or ``Diverged`` when the
loss became NaN or infinite."""
from dataclasses import dataclass


class Diverged(Exception):
    """The loss became NaN or infinite; the message names the step."""


@dataclass
class Result:
    """The outcome of ``Trainer.fit``; ``message`` says why it stopped (may be empty)."""
    status: str          # "finished", "early_stopped", "interrupted", "already_done"
    epoch: int
    step: int
    best: float = None
    best_epoch: int = None
    message: str = ""


def diverged_message(value, step, epoch, b, nb, last):
    """Why training stopped at optimizer step ``step`` (batch ``b`` of ``nb``),
    and whether ``last`` (last.npz) holds a good checkpoint."""
    kept = f"the last good checkpoint, {last}, is kept" if last.exists() else "no checkpoint had been written yet"
    return (f"the loss is {value} at step {step} (epoch {epoch + 1}, batch {b + 1}/{nb}); "
            f"training stopped before that update; {kept}. Try a smaller optimizer.lr or train.clip_norm")
