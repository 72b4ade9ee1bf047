"""Hyperparameter sweeps: ``kubik sweep`` drives Optuna (the ``[sweep]`` extra,
imported on use): a sampler proposes parameters, each trial trains as an
ordinary run folder, a pruner stops hopeless trials, and the study lives in a
database (an SQLite file by default), so several processes and machines can
work on one study and a killed sweep continues where it stopped. See
docs/guide/sweeps.md.

    run        run, resume, report, trials: a whole sweep from Python; Result
    settings   Settings: the sweep: section and the command line, checked
    space      Space, parse_space: loguniform / uniform / int / choice
    params     every parameter checked against the config before the first trial
    base       the base config of the trials, a trial's config from it (--set machinery)
    folder     the sweep folder: base.yaml, sweep.yaml; continuing only the same sweep
    storage    opening a storage URL (SQLite, journal file, a database server)
    study      the study: created or continued, direction, sampler, pruner
    pruning    TrialCallback: the metric reported each epoch, pruned runs stopped
    trial      one trial in its run folder (trial.yaml says how it ended)
    workers    the worker loop (taking trials under a lock), J worker processes
    worker     the worker process's entry point
    stale      trials left running by a killed sweep marked failed; the heartbeat
    report     the table of trials, the best trial, best.yaml
    backend    optuna imported on use; SweepError
"""
from .backend import SweepError
from .pruning import TrialCallback
from .report import scales
from .run import Result, report, resume, run, trials
from .settings import METRICS, Settings
from .space import Space, parse_space
