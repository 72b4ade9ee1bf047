"""Training a built experiment: ``Trainer`` (the loop, resumable from
checkpoints) and ``evaluate``.

    loop         Trainer: batches, accumulation, schedule, validation, Ctrl-C
    run_state    RunState: the counters and generators checkpoints hold; save / restore
    step         micro-batch weights of an accumulated step; the clipped update
    monitoring   best epoch and early stopping
    metrics_log  metrics.csv and the per-epoch line
    evaluation   evaluate: mean loss and accuracy on a split
    outcome      Result, Diverged
"""
from .evaluation import evaluate
from .loop import Trainer
from .metrics_log import METRICS
from .outcome import Diverged, Result
from .run_state import RunState
