"""TensorBoard event files for a run (``train.log: [csv, tensorboard]``; the
``[tensorboard]`` extra, tensorboardX, imported on use).

``TensorBoard`` is a training callback (nets.Callback) that writes, into the
run folder (or ``logdir``), beside metrics.csv:

    train_loss, val_loss, val_accuracy, lr, epoch   each epoch's metrics.csv row, as scalars
    grad_norm/<param>, weight_norm/<param>, ...     with ``train.monitor``: diagnostics.csv's rows
    grad/<param>, weight/<param>                    ... and the gradient and weight values as histograms

The step axis is the optimizer step for everything (an epoch's row sits at the
step that ended it), so metrics and diagnostics line up. A resumed run purges
what a killed run wrote after its checkpoint (TensorBoard's ``purge_step``), so
no step shows twice; a run that starts afresh in a folder purges everything
there. The file is flushed at each epoch's end. Only rank 0 writes under MPI.
Logging never draws random numbers or touches the weights: results are the same
with it on or off.

    tb = nets.TensorBoard()
    nets.fit(net, loss, opt, (X, y), val=(Xv, yv), out="runs/a",
             callbacks=[tb, nets.Diagnostics(net, "runs/a", every_steps=10, sinks=[tb])])
    # tensorboard --logdir runs
"""
from pathlib import Path

from .callbacks import Callback

HINT = 'TensorBoard logs need tensorboardX: pip install "kubik[tensorboard]" (or pip install -e ".[tensorboard]")'
EPOCH_SCALARS = ("train_loss", "val_loss", "val_accuracy", "lr")


def summary_writer():
    """tensorboardX's SummaryWriter class; ImportError with the install hint when it is missing."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError(HINT) from None
    return SummaryWriter


class TensorBoard(Callback):
    """Writes a run's metrics (and, as a Diagnostics sink, its per-layer norms and
    histograms) to TensorBoard event files in ``logdir`` (default: the run folder)."""

    def __init__(self, logdir=None, histograms=True):
        self.writer_class = summary_writer()
        self.logdir, self.histograms_on, self.writer = logdir, bool(histograms), None

    def on_fit_start(self, trainer):
        """Open the event file; a resumed run purges the steps after its checkpoint."""
        dist = getattr(trainer, "dist", None)
        if dist is not None and not dist.is_root:
            return
        logdir = self.logdir if self.logdir is not None else trainer.run_dir
        if logdir is None:
            raise ValueError("TensorBoard: the run has no folder (out=None); give TensorBoard(logdir=...)")
        step = trainer.state["step"]
        self.close()
        self.writer = self.writer_class(logdir=str(Path(logdir)), purge_step=step + 1 if step else 0,
                                        flush_secs=30)

    def on_epoch_end(self, trainer, row):
        """The epoch's metrics.csv row as scalars at its last step."""
        if self.writer is None:
            return
        step = row["step"]
        for key in EPOCH_SCALARS:
            if row.get(key) is not None:
                self.writer.add_scalar(key, row[key], step)
        self.writer.add_scalar("epoch", row["epoch"], step)
        self.writer.flush()

    def on_fit_end(self, trainer, result):
        """Flush and close the event file."""
        self.close()

    def close(self):
        """Flush and close the event file (also safe when none is open)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # -- as a Diagnostics sink --------------------------------------------------------------
    def diagnostics(self, step, rows):
        """``rows`` [(name, metric, value)] of optimizer step ``step`` as scalars ``metric/name``."""
        if self.writer is not None:
            for name, metric, value in rows:
                self.writer.add_scalar(f"{metric}/{name}", value, step)

    def wants_histograms(self):
        """Whether ``histograms`` should be called (an open writer that draws them)."""
        return self.writer is not None and self.histograms_on

    def histograms(self, step, kind, named_arrays):
        """Histograms ``kind/name`` of the arrays (gradients or weights) at ``step``."""
        for name, array in named_arrays:
            self.writer.add_histogram(f"{kind}/{name}", array, step)
