"""The state of a training run that checkpoints hold, so that a run resumes
bit for bit (also mid-epoch, also after SIGKILL).

Resume is exact because a checkpoint holds all the state the loop reads:
weights, buffers, optimizer and schedule state, every random generator
(package, layers' own, data order), the epoch's data order and the position
in it, the running sums of the epoch's training loss and the early-stopping
counters. Checkpoints are only taken between optimizer steps.
"""
import time
from pathlib import Path

import numpy as np

from ... import layers

from .. import checkpoint
from ..checkpoint.format import label
from ..config import config_hash


def initial_state():
    """The loop's counters before the first step."""
    return {"epoch": 0, "pos": 0, "step": 0, "order": None, "seconds": 0.0,
            "loss_sum": 0.0, "loss_count": 0, "best": None, "best_epoch": None,
            "es_best": None, "bad_epochs": 0, "done": None, "last_lr": None}


class RunState:
    """A run of experiment ``exp`` (a nets.build.Experiment) in ``run_dir``:
    its counters (``state``), data-order generator and training time, saved
    to and restored from checkpoints."""

    def __init__(self, exp, run_dir):
        self.exp, self.run_dir = exp, Path(run_dir)
        self.data_rng = np.random.default_rng([int(exp.config["seed"]), 7])
        self.hash = config_hash(exp.config)
        self.state = initial_state()
        self._session_start = None

    def generators(self):
        return {"package": layers.get_rng(), "data": self.data_rng}

    def seconds(self):
        """Training time so far, this session's included."""
        extra = 0.0 if self._session_start is None else time.perf_counter() - self._session_start
        return self.state["seconds"] + extra

    def save(self, name="last.npz"):
        """Write a checkpoint ``run_dir/name``; returns its path."""
        st = dict(self.state, seconds=self.seconds())
        if st["order"] is None:
            st.pop("order")
        return checkpoint.save(self.run_dir / name, self.exp.net, self.exp.optimizer, self.exp.schedule,
                               trainer=st, config=self.exp.config, config_hash=self.hash,
                               generators=self.generators())

    def restore(self, ckpt):
        """Continue from ``ckpt`` (already read); CheckpointError if it does not fit."""
        checkpoint.check_model(ckpt, self.exp.net)
        if ckpt.config_hash != self.hash:
            raise checkpoint.CheckpointError(
                f"{label(ckpt.path)} was written by a different config (hash {ckpt.config_hash}, "
                f"this config {self.hash}); only train.epochs, train.out and train.progress may change on resume")
        checkpoint.check_trainer_state(ckpt, len(self.exp.data.X_train), self.exp.config["train"])
        checkpoint.restore(ckpt, self.exp.net, self.exp.optimizer, self.exp.schedule, self.generators())
        st = ckpt.trainer
        missing = sorted(set(self.state) - set(st) - {"order"})
        if missing:
            raise checkpoint.CheckpointError(f"{label(ckpt.path)} lacks trainer state {missing}")
        self.state.update(st)
        self.state.setdefault("order", None)
        if self.state["order"] is not None:
            self.state["order"] = np.asarray(self.state["order"])
