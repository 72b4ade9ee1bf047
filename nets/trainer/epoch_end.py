"""The end of an epoch, and what makes a checkpoint good: validation, the
health check of the weights after the epoch's last step, the schedule, the
best epoch and early stopping, metrics.csv, then best.npz before last.npz.

A checkpoint is written only after its weights are checked finite; at an
epoch's end also after a finite validation loss (without validation data or
between ``val_interval``s: a finite loss on the epoch's last batch). So
last.npz is always resumable, and NaN never becomes a best value.
"""
import math

import numpy as np

from .. import checkpoint
from .callbacks import call
from .evaluation import _evaluate
from .metrics_log import epoch_line
from .monitoring import EpochMetrics, early_stop, track_best
from .outcome import Diverged, diverged_message, kept_text


def _nonfinite(net):
    """The name of the first parameter with a NaN or infinite entry, or None."""
    for name, p in net.named_parameters():
        if not np.isfinite(p.data).all():
            return name
    return None


class EpochEnd:
    """The ``Trainer``'s epoch end, checkpoint writing and best.npz repair."""

    def save_checkpoint(self, name="last.npz"):
        """Write ``run_dir/name`` after checking that the weights are finite (else Diverged)."""
        bad = _nonfinite(self.net)
        st = self.state
        if bad is not None:
            raise Diverged(diverged_message(f"the weights ({bad}) are not finite after step {st['step']}",
                                            kept_text(self.run_dir, self._saved)))
        path = self.save(name)
        if name == "last.npz":
            pos = 0 if self.train_loader is None else self.train_loader.pos
            self._saved = {"epoch": st["epoch"], "step": st["step"], "pos": pos, "best_epoch": st["best_epoch"]}
        return path

    def _check_best(self):
        """After a resume: best.npz must hold the epoch last.npz names as best. Re-save it when
        last.npz itself is that epoch; otherwise say that it cannot be repaired."""
        st, best = self.state, self.run_dir / "best.npz"
        if st["best_epoch"] is None:
            return
        try:
            tr = checkpoint.read(best).trainer if best.exists() else {}
        except checkpoint.CheckpointError:
            tr = {}
        if tr.get("epoch") == st["best_epoch"] and tr.get("best") == st["best"]:
            return
        if st["best_epoch"] == st["epoch"] and st["pos"] == 0:
            self.save("best.npz")
        else:
            self.log(f"warning: {best} does not hold epoch {st['best_epoch']}, the best so far; "
                     f"it is rewritten when the monitored metric next improves")

    def _health(self, val_loss, validated):
        """Diverged unless the weights after the epoch's last step are finite and give a finite
        validation loss (without validation: a finite loss on the epoch's last batch)."""
        st = self.state
        where = f"after step {st['step']}, the last of epoch {st['epoch'] + 1}"
        kept = kept_text(self.run_dir, self._saved)
        bad = _nonfinite(self.net)
        if bad is not None:
            raise Diverged(diverged_message(f"{where}, the weights ({bad}) are not finite", kept))
        if validated:
            value, what = val_loss, "validation loss"
        else:
            xb, yb = self._last_batch
            value, _ = self.dist.evaluate(_evaluate, self.net, self.loss, xb, yb, len(xb), self.task)
            what = "loss on its last batch"
        if not math.isfinite(value):
            raise Diverged(diverged_message(f"{where}, the {what} is {value}", kept))

    def _end_epoch(self, sched, per_step, val):
        """Validate, check the weights, step an epoch schedule, track the best epoch and early
        stopping, write metrics.csv and the checkpoints (best first); True to stop."""
        st, t = self.state, self.t
        epoch = st["epoch"] + 1
        train_loss = st["loss_sum"] / max(st["loss_count"], 1)
        has_val = val is not None and len(val[0]) > 0
        validate = epoch % t["val_interval"] == 0 or epoch == t["epochs"]
        self.dist.average_buffers(self.net)      # BatchNorm running statistics: the ranks' mean
        val_loss, val_acc = (self.dist.evaluate(_evaluate, self.net, self.loss, val[0], val[1],
                                                t["eval_batch_size"], self.task)
                             if validate and has_val else (None, None))
        self._health(val_loss, validate and has_val)
        lr = st["last_lr"] if st["last_lr"] is not None else self.optimizer.lr
        if sched is not None and not per_step:
            metric = val_loss if val_loss is not None else train_loss
            sched.step(metric) if sched.needs_metric else sched.step()
        metrics = EpochMetrics(train_loss, val_loss, val_acc, has_val)
        improved = track_best(st, metrics, t["monitor"], epoch)
        es = t["early_stopping"]
        stop = bool(es["patience"] and validate) and early_stop(st, metrics, es, epoch)
        st.update(epoch=epoch, pos=0, order=None, loss_sum=0.0, loss_count=0)
        row = {"epoch": epoch, "step": st["step"], "train_loss": train_loss, "val_loss": val_loss,
               "val_accuracy": val_acc, "lr": lr, "seconds": self.seconds()}
        self.history.append(row)
        if self.run_dir is not None:
            if self.metrics is not None:     # rank 0's
                self.metrics.write(row)
            if improved:
                self.save_checkpoint("best.npz")
            self.save_checkpoint()
        every = getattr(self, "log_every", 1)
        if every and (epoch % every == 0 or epoch == t["epochs"] or stop):
            self.log(epoch_line(epoch, t["epochs"], train_loss, val_loss, val_acc, lr, row["seconds"]))
        call(self.callbacks, "on_epoch_end", self, row)
        return stop
