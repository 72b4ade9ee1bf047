"""The training settings of a ``Trainer``, checked: the same names and
meanings as a config's ``train`` section (which the YAML path passes on), so
one loop serves both paths.

    epochs            passes over the training data (an int >= 1)
    accumulate        micro-batches per optimizer step (>= 1)
    clip_norm         clip the gradients' global L2 norm (None: off; else finite > 0)
    clip_value        clip each gradient element to [-v, v] (None: off)
    val_interval      validate every N epochs, and after the last
    eval_batch_size   samples per forward pass when evaluating
    early_stopping    {patience: 0 (off), monitor: val_loss | val_accuracy, min_delta: 0.0}
    checkpoint_every  also write last.npz every N optimizer steps (0: only at epoch ends)
    monitor           the metric that picks best.npz: val_loss or val_accuracy
    schedule_interval step the schedule once per "epoch" or once per optimizer "step"
    progress          tqdm bars (shown on a terminal)
"""
import math

import numpy as np

MONITORS = ("val_loss", "val_accuracy")


def _int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"Trainer: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _positive(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"Trainer: {name} must be None or a finite number > 0, got {value!r}")
    return float(value)


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"Trainer: {name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def check_settings(epochs=10, accumulate=1, clip_norm=None, clip_value=None, val_interval=1,
                   eval_batch_size=1000, early_stopping=None, checkpoint_every=0, monitor="val_loss",
                   schedule_interval="epoch", progress=True):
    """The settings as a dict (the names above); ValueError naming a bad one."""
    es = dict(early_stopping or {})
    unknown = sorted(set(es) - {"patience", "monitor", "min_delta"})
    if unknown:
        raise ValueError(f"Trainer: early_stopping has unknown keys {unknown}; known: patience, monitor, min_delta")
    min_delta = es.get("min_delta", 0.0)
    if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float, np.number)) or not (
            math.isfinite(min_delta) and min_delta >= 0):
        raise ValueError(f"Trainer: early_stopping.min_delta must be a finite number >= 0, got {min_delta!r}")
    return {
        "epochs": _int("epochs", epochs, 0), "accumulate": _int("accumulate", accumulate, 1),
        "clip_norm": _positive("clip_norm", clip_norm), "clip_value": _positive("clip_value", clip_value),
        "val_interval": _int("val_interval", val_interval, 1),
        "eval_batch_size": _int("eval_batch_size", eval_batch_size, 1),
        "early_stopping": {"patience": _int("early_stopping.patience", es.get("patience", 0), 0),
                           "monitor": _choice("early_stopping.monitor", es.get("monitor", "val_loss"), MONITORS),
                           "min_delta": float(min_delta)},
        "checkpoint_every": _int("checkpoint_every", checkpoint_every, 0),
        "monitor": _choice("monitor", monitor, MONITORS),
        "schedule_interval": _choice("schedule_interval", schedule_interval, ("epoch", "step")),
        "progress": bool(progress),
    }


def from_config(cfg):
    """The settings of a normalized config (its ``train`` and ``schedule`` sections)."""
    t = cfg["train"]
    sched = cfg.get("schedule")
    return dict(epochs=t["epochs"], accumulate=t["accumulate"], clip_norm=t["clip_norm"],
                clip_value=t["clip_value"], val_interval=t["val_interval"], eval_batch_size=t["eval_batch_size"],
                early_stopping=t["early_stopping"], checkpoint_every=t["checkpoint"]["every_steps"],
                monitor=t["checkpoint"]["monitor"],
                schedule_interval=sched["interval"] if sched else "epoch", progress=t["progress"])
