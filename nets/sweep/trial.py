"""One trial: the base config with the trial's parameters and seed applied,
trained in an ordinary run folder ``<sweep>/trial-0007/`` (config.yaml,
metrics.csv, last.npz, best.npz: ``kubik eval``, ``predict``, ``plot`` and
``train --resume`` work on it as on any run) by the same Trainer as
``kubik train``, with a TrialCallback that reports to the study. The test
split is not looked at: a sweep chooses by validation.

The folder also gets trial.yaml: the trial's number, parameters, seed, state
(running, complete, pruned, failed), its value (the best of the metric over
the validated epochs, the epoch best.npz holds when the metric is a
validation metric), epochs and seconds of training, and why it was pruned or
failed.

Seeds: trial k trains with the config's seed + k (sweep.seeds: vary), or with
the config's seed (fixed).
"""
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..cli.common import build_experiment, import_code
from ..config import ConfigError, dump
from ..trainer import Diverged, Trainer
from ..trainer.files import atomic_write_text
from .pruning import TrialCallback


def folder_name(number):
    """'trial-0007' for trial 7."""
    return f"trial-{number:04d}"


@dataclass
class Context:
    """What the trials of one worker share: the Base, the Settings, the config's seed, the
    thread cap of this worker (None: none), the pid of the sweep to watch (None: none) and a
    print function."""
    base: object
    settings: object
    seed: int
    threads: int = None
    parent: int = None
    log: object = print


@dataclass
class Outcome:
    """How a trial ended: ``state`` complete, pruned, failed or interrupted."""
    state: str
    value: float = None
    epochs: int = 0
    seconds: float = 0.0
    message: str = ""
    seed: int = None


def trial_seed(ctx, number, values):
    """The seed trial ``number`` trains with."""
    if "seed" in values:
        return values["seed"]
    return ctx.seed + number if ctx.settings.seeds == "vary" else ctx.seed


def write_record(run_dir, number, values, outcome, settings):
    """Write run_dir/trial.yaml."""
    record = {"trial": number, "study": settings.study, "state": outcome.state, "params": values,
              "seed": outcome.seed, "metric": settings.metric, "value": outcome.value, "epochs": outcome.epochs,
              "seconds": round(outcome.seconds, 3), "message": outcome.message}
    atomic_write_text(run_dir / "trial.yaml", yaml.safe_dump(record, sort_keys=False))


def _trainer(ctx, trial, values, seed, run_dir, callback):
    cfg, source = ctx.base.config(values, sets=[f"seed={seed}"])
    threads = cfg["train"]["threads"]
    if ctx.threads is not None and isinstance(threads, int) and threads > ctx.threads:
        cfg["train"]["threads"] = ctx.threads       # this worker's share of the cores
    import_code(cfg, source, ctx.base.folder)
    exp = build_experiment(cfg, source)
    if (run_dir / "last.npz").exists():
        raise ConfigError(f"'{run_dir}' already holds a run (another study's trial in this folder?)")
    with source.placing():
        trainer = Trainer.from_experiment(exp, run_dir, progress=False, log=lambda *a, **k: None,
                                          callbacks=[callback])
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.yaml", dump(cfg))
    write_record(run_dir, trial.number, values, Outcome("running", seed=seed), ctx.settings)
    return trainer


def run_trial(ctx, trial):
    """Train Optuna trial ``trial`` (its parameters already drawn); returns the Outcome.
    KeyboardInterrupt outside the training loop propagates (the worker marks the trial failed)."""
    s = ctx.settings
    values = {key: trial.params[key] for key in s.params}
    seed = trial_seed(ctx, trial.number, values)
    run_dir = Path(s.out) / folder_name(trial.number)
    callback = TrialCallback(trial, s.metric, ctx.parent, (s.pruner or {}).get("name", "the pruner"))
    trainer = None
    try:
        trainer = _trainer(ctx, trial, values, seed, run_dir, callback)
        outcome = _judge(s, callback, trainer.fit())
    except Diverged as e:
        outcome = Outcome("failed", message=f"diverged: {e}")
    except ConfigError as e:
        outcome = Outcome("failed", message=f"its config does not build: {e}")
    if trainer is not None:
        outcome.epochs, outcome.seconds = trainer.state["epoch"], trainer.seconds()
    outcome.seed = seed
    if run_dir.is_dir():
        write_record(run_dir, trial.number, values, outcome, s)
    return outcome


def _judge(s, callback, result):
    best = callback.best(s.direction)
    if result.status == "interrupted" or callback.orphaned:
        return Outcome("interrupted", message=result.message)
    if callback.pruned:
        return Outcome("pruned", callback.values[-1][1], message=result.message)
    if best is None:
        return Outcome("failed", message=f"no epoch measured {s.metric}")
    return Outcome("complete", best[1], message=f"best {s.metric} at epoch {best[0]}")
