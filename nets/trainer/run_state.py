"""The state of a training run that checkpoints hold, so that a run resumes
bit for bit (also mid-epoch, also after SIGKILL).

Resume is exact because a checkpoint holds all the state the loop reads:
weights, buffers, optimizer and schedule state, every random generator
(package, layers' own, the DataLoader's), the epoch's data order and the
position in it, the running sums of the epoch's training loss and the
early-stopping counters. Checkpoints are only taken between optimizer steps.

The data order and position live in the DataLoader; they are copied into the
trainer state (``order``, ``pos``) when a checkpoint is written, and handed
back to the loader when fit starts after a restore.

Under several ranks (nets.distributed), checkpoints are collective: every
rank calls ``save`` (the other ranks' random streams and BatchNorm running
statistics travel to rank 0, which alone writes: the model gets the ranks'
mean statistics, the trainer state each rank's own, so resume gives every
rank its own back), and a checkpoint records the number of ranks that wrote
it; resuming under another number is refused.
"""
import json
import hashlib
import time
from pathlib import Path

import numpy as np

from ... import layers

from .. import checkpoint
from ..checkpoint.format import label
from ..checkpoint.writing import layer_generators


def initial_state():
    """The loop's counters before the first step."""
    return {"epoch": 0, "pos": 0, "step": 0, "order": None, "seconds": 0.0,
            "loss_sum": 0.0, "loss_count": 0, "best": None, "best_epoch": None,
            "es_best": None, "bad_epochs": 0, "done": None, "last_lr": None}


def settings_hash(settings):
    """The hash a run made from Python records in place of a config's: its settings but
    epochs and progress (which may change on resume)."""
    s = {k: v for k, v in settings.items() if k not in ("epochs", "progress")}
    return hashlib.sha256(json.dumps(s, sort_keys=True, default=str).encode()).hexdigest()[:16]


class RunState:
    """The counters (``state``) and training time of a run of ``net`` with
    ``optimizer`` and ``schedule`` in ``run_dir`` (None: no files), saved to
    and restored from checkpoints. ``config`` (a YAML run's resolved config,
    or None) and ``config_hash`` are recorded in every checkpoint."""

    def __init__(self, net, optimizer, schedule, run_dir, config, config_hash):
        self.net, self.optimizer, self.schedule = net, optimizer, schedule
        self.run_dir = None if run_dir is None else Path(run_dir)
        self.config, self.hash = config, config_hash
        self.state = initial_state()
        self.train_loader = None
        self._loader_state = None          # from a restored checkpoint, for the loader fit() is given
        self._session_start = None
        self._streams_split = False        # a fresh run gives each rank its own random streams once
        self.python_run = self.python_record = None   # a Python run's net description (nets.trainer.python_run)

    def rank_streams(self):
        """The generators that differ between ranks: the package generator and the layers' own."""
        gens = {"package": layers.get_rng()}
        gens.update({f"layer/{k}": g for k, g in layer_generators(self.net).items()})
        return gens

    def generators(self):
        gens = {"package": layers.get_rng()}
        if self.train_loader is not None:
            gens["data"] = self.train_loader.rng
        return gens

    def seconds(self):
        """Training time so far, this session's included."""
        extra = 0.0 if self._session_start is None else time.perf_counter() - self._session_start
        return self.state["seconds"] + extra

    def save(self, name="last.npz"):
        """Write a checkpoint ``run_dir/name``; returns its path."""
        st = dict(self.state, seconds=self.seconds())
        if self.train_loader is not None:
            st["order"], st["pos"] = self.train_loader.order, self.train_loader.pos
        if st["order"] is None:
            st.pop("order")
        gens = self.generators()
        others = self.dist.rank_generators(self.rank_streams())     # collective: every rank calls save
        buffers = self.dist.gather_buffers(self.net)                 # collective too
        if self.dist.size > 1:
            st["world_size"] = self.dist.size
        if not self.dist.is_root:
            return self.run_dir / name
        if buffers is not None:      # the model gets the ranks' mean; each rank's own for resume
            st["rank_buffers"] = buffers
            self.dist.set_buffers(self.net, buffers.sum(0) / self.dist.size)
        try:
            return checkpoint.save(self.run_dir / name, self.net, self.optimizer, self.schedule,
                                   trainer=st, config=self.config, config_hash=self.hash,
                                   generators={**gens, **others}, preprocessing=self.python_record,
                                   python_run=self.python_run)
        finally:
            if buffers is not None:
                self.dist.set_buffers(self.net, buffers[0])

    def describe_python_run(self, X, val=None):
        """Record what kubik eval / kubik.load need to rebuild a Python run's net (trained on
        inputs like ``X``) in its checkpoints, and what kubik train --resume needs to continue it
        (nets.trainer.python_resume; ``val``: the validation (X, y) or None); one log line when the net
        cannot be written."""
        from .python_resume import describe_resume
        from .python_run import describe_run
        self.python_run, self.python_record = describe_run(self.net, self.loss, self.task, X)
        self.python_run["resume"] = describe_resume(self, self.train_loader, val)
        if self.python_run["why"]:
            self.log(f"note: kubik eval and kubik.load will not be able to rebuild the net of {self.run_dir}: "
                     f"{self.python_run['why']}")

    def restore(self, ckpt):
        """Continue from ``ckpt`` (already read); CheckpointError if it does not fit.
        The data order, position and generator go to the DataLoader when fit starts."""
        checkpoint.check_model(ckpt, self.net)
        wrong_size = self.dist.check_world_size(ckpt.trainer.get("world_size", 1), label(ckpt.path))
        if wrong_size:
            raise checkpoint.CheckpointError(wrong_size)
        if ckpt.config_hash != self.hash:
            what = ("a different config", "this config",
                    "train.epochs, train.out, train.progress, train.monitor, train.threads and imports") \
                if self.config else ("different settings", "these settings", "epochs and progress")
            raise checkpoint.CheckpointError(
                f"{label(ckpt.path)} was written by {what[0]} (hash {ckpt.config_hash}, {what[1]} "
                f"{self.hash}); only {what[2]} may change on resume")
        rng = ckpt.meta.get("rng", {})
        if "data" not in rng:
            raise checkpoint.CheckpointError(f"{label(ckpt.path)} lacks the random generator state of data")
        if self.exp is not None:      # a config's run: its data order against its data, before anything changes
            checkpoint.check_trainer_state(ckpt, len(self.exp.data.X_train), self.exp.config["train"])
        checkpoint.restore(ckpt, self.net, self.optimizer, self.schedule, {"package": layers.get_rng()})
        try:
            self.dist.restore_rank_generators(rng, self.rank_streams(), label(ckpt.path))
        except ValueError as e:
            raise checkpoint.CheckpointError(str(e)) from None
        self._streams_split = True
        st = {k: v for k, v in ckpt.trainer.items() if k not in ("world_size", "rank_buffers")}
        if "rank_buffers" in ckpt.trainer:        # this rank's own BatchNorm running statistics
            self.dist.set_buffers(self.net, np.asarray(ckpt.trainer["rank_buffers"])[self.dist.rank])
        missing = sorted(set(self.state) - set(st) - {"order"})
        if missing:
            raise checkpoint.CheckpointError(f"{label(ckpt.path)} lacks trainer state {missing}")
        self.state.update(st)
        self.state.setdefault("order", None)
        if self.state["order"] is not None:
            self.state["order"] = np.asarray(self.state["order"])
        self._loader_state = {"order": self.state["order"], "pos": self.state["pos"],
                              "epoch": self.state["epoch"], "rng": rng["data"]}
        self._restored_from = ckpt.path

    def attach_loader(self, loader):
        """Use ``loader`` for the training data, giving it a restored checkpoint's order,
        position and generator; CheckpointError if they do not fit it."""
        self.train_loader = loader
        if self._loader_state is not None:
            try:
                loader.load_state_dict(self._loader_state)
            except (ValueError, TypeError, KeyError) as e:
                raise checkpoint.CheckpointError(
                    f"{label(self._restored_from)} does not fit the training data: {e}") from None
            self._loader_state = None
