"""Training: ``Trainer`` (the one loop, used from Python and by the CLI,
resumable from checkpoints), ``evaluate`` and ``predict``; ``fit`` and the
DataLoader.

    loop         Trainer: batches, accumulation, schedule, Ctrl-C, callbacks, the fit call
    epoch_end    validation, the health check, best / early stopping, checkpoints (best first)
    from_config  Trainer.from_experiment: a config's settings, DataLoader and validation split
    settings     the loop's settings, checked (the names of a config's train section)
    horizons     the run's length handed to the schedule ('auto' horizons follow the epochs)
    run_state    RunState: the counters and generators checkpoints hold; save / restore
    callbacks    Callback: on_fit_start, on_step_end, on_epoch_end, on_fit_end
    step         micro-batch weights of an accumulated step; the clipped update
    monitoring   best epoch and early stopping
    metrics_log  metrics.csv and the per-epoch line;  files  atomic text writes
    tensorboard  TensorBoard: event files of the metrics (train.log), and of diagnostics as their sink
    evaluation   evaluate, predict, LabelTask
    outcome      Result, History, Diverged
    stopping     the Ctrl-C handler and the Result of a stopped or interrupted run
    dataloader   DataLoader: seeded, resumable mini-batches
    fit          nets.fit: train a net built in Python with this loop
    python_run   what the checkpoints of a run trained from Python record to rebuild its net
    python_resume  ... and to resume it (optimizer, schedule, settings, loader)
"""
from .callbacks import Callback, PeriodicCheckpoint
from .evaluation import LabelTask, evaluate, predict
from .loop import Trainer
from .metrics_log import METRICS
from .outcome import Diverged, History, Result
from .run_state import RunState
from .settings import check_settings
from .tensorboard import TensorBoard
