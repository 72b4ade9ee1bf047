"""``TrialCallback``: the training callback (nets.Callback) that ties a run to
its Optuna trial. After each validated epoch it reports the sweep's metric to
the trial (step = the epoch) and asks the study's pruner; when the pruner says
the trial is hopeless (MedianPruner: its value is worse than the median of the
other trials' values at the same epoch) the run stops there as a callback's
stop does: last.npz saved, status "stopped" with the reason. In a worker
process it also stops the run when the sweep that started it is gone (a killed
parent), so an orphan does not train on unseen.
"""
import os

from ..trainer import Callback


class TrialCallback(Callback):
    """Reports ``metric`` of each epoch to ``trial``; stops the run when it is pruned,
    or when the process ``parent`` (a pid, or None) is no longer this process's parent."""

    def __init__(self, trial, metric, parent=None, pruner_name="the pruner"):
        self.trial, self.metric, self.parent, self.pruner_name = trial, metric, parent, pruner_name
        self.values = []            # (epoch, value) of every reported epoch
        self.pruned = self.orphaned = False

    def on_step_end(self, trainer, loss):
        """Stop when the sweep's process is gone."""
        if self.parent is not None and not self.orphaned and os.getppid() != self.parent:
            self.orphaned = True
            trainer.request_stop("the sweep that started this trial is gone, stopped")

    def on_epoch_end(self, trainer, row):
        """Report the epoch's metric; stop the run when the pruner says so."""
        value = row.get(self.metric)
        if value is None:         # an epoch between val_interval's validations
            return
        epoch = row["epoch"]
        self.values.append((epoch, value))
        self.trial.report(value, epoch)
        if not self.pruned and self.trial.should_prune():
            self.pruned = True
            trainer.request_stop(f"pruned by {self.pruner_name}: {self.metric} {value:.4g}")

    def best(self, direction):
        """(epoch, value) of the best reported epoch ("minimize" or "maximize"), or None."""
        if not self.values:
            return None
        pick = min if direction == "minimize" else max
        return pick(self.values, key=lambda ev: ev[1])
