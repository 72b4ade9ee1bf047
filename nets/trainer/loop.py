"""The training loop — one implementation for Python (``nets.fit``) and the
CLI (which builds the pieces from a config and calls the same ``fit``):
mini-batches from a DataLoader, optional gradient accumulation and clipping,
a schedule per epoch or per step, validation, early stopping, callbacks,
and with a run folder metrics.csv, last.npz and best.npz.

    trainer = Trainer(net, loss, optimizer, schedule, epochs=10, out="runs/a")
    trainer.restore(checkpoint.read("runs/a/last.npz"))     # optional: resume
    result = trainer.fit(DataLoader(X, y, 32, shuffle=True), (X_val, y_val))

Ctrl-C (SIGINT) finishes the current optimizer step, saves last.npz and
returns with status "interrupted"; a second Ctrl-C aborts at once. A NaN or
infinite loss stops the run before the update (``Diverged``); so do
non-finite weights, and a non-finite validation loss (or, without
validation, loss on the epoch's last batch) after an epoch's last step. A
checkpoint is written only after those checks, so last.npz always holds
finite weights, and at an epoch's end a finite validation loss. best.npz is
written before last.npz records it as the best.

Under an MPI launcher the same loop trains data-parallel: ``self.dist``
(nets.distributed.DataParallel) shares each global batch among the ranks and
keeps their decisions in step; with one process it changes nothing.
"""
import math
import signal
import sys
import threading
import time

import numpy as np
from tqdm import tqdm

from ... import layers

from ..config import config_hash
from ..datasets.inputs import forward
from .dataloader import DataLoader
from ..distributed import DataParallel, world
from .callbacks import PeriodicCheckpoint, call, checked
from .closure_step import ClosureStep, check_closure_settings, needs_closure
from .epoch_end import EpochEnd
from .evaluation import LabelTask, _arrays, refuse_per_sample
from .from_config import FromExperiment
from .horizons import fit_schedule
from . import run_lock
from .files import remove_unstarted
from .metrics_log import MetricsLog
from .output_losses import for_net
from .outcome import Diverged, History, diverged_message, kept_text
from .run_state import RunState, settings_hash
from .settings import check_settings
from .step import group_share, scaled, update
from .stopping import Stopping


class Trainer(Stopping, FromExperiment, EpochEnd, ClosureStep, RunState):
    """Trains ``net`` on ``loss`` with ``optimizer`` (and ``schedule``); the
    settings are nets.trainer.settings' (epochs, accumulate, clip_norm, ...).
    ``out``: the run folder (None: nothing is written); ``task``: how labels
    become targets and outputs accuracy (default LabelTask(loss));
    ``callbacks``: nets.Callback objects; ``config``: a YAML run's config,
    recorded in its checkpoints. ``Trainer(experiment, run_dir)`` trains an
    experiment built from a config (see ``from_experiment``). ``comm``: the
    communicator (default ``nets.distributed.world()``: MPI under a launcher,
    else one process); with several ranks the batches are global batches
    shared among them (nets.distributed.data_parallel), and only rank 0
    writes files, logs and shows progress. An optimizer that takes a closure
    (LBFGS) trains on the full batch, one ``step(closure)`` per epoch
    (nets.trainer.closure_step); the progress bar then counts function evaluations."""

    def __init__(self, net, loss=None, optimizer=None, schedule=None, *, out=None, callbacks=(), task=None,
                 config=None, log=print, comm=None, **settings):
        self.dist = DataParallel(world() if comm is None else comm)
        if hasattr(net, "config") and hasattr(net, "task"):     # Trainer(experiment, run_dir, progress=, log=)
            self._init_experiment(net, loss, settings.pop("progress", None), log, callbacks)
            return
        self._setup(net, loss, optimizer, schedule, check_settings(**settings), out, task, config,
                    config_hash(config) if config else None, log, callbacks)

    def _setup(self, net, loss, optimizer, schedule, settings, out, task, config, hash_, log, callbacks):
        if loss is None or optimizer is None:
            raise TypeError("Trainer: needs net, loss and optimizer")
        refuse_per_sample(loss, "Trainer")
        if not hasattr(self, "dist"):
            self.dist = DataParallel(world())
        RunState.__init__(self, net, optimizer, schedule, out, config, hash_ or settings_hash(settings))
        if not self.dist.is_root:       # one voice: rank 0 logs, shows progress and writes files
            log, settings = (lambda *a, **k: None), dict(settings, progress=False)
        self.loss, self.t, self.log = for_net(net, loss), settings, log
        self.task = task if task is not None else LabelTask(self.loss)
        self.log_every = 1          # the epoch line every N epochs (and after the last); 0: none
        self.callbacks = checked(callbacks)
        if settings["checkpoint_every"]:
            self.callbacks.insert(0, PeriodicCheckpoint(settings["checkpoint_every"]))
        self.progress = settings["progress"]
        self.train_data = self.val_data = self.exp = None
        self.metrics = None if self.run_dir is None or not self.dist.is_root else MetricsLog(
            self.run_dir / "metrics.csv")
        self.history = History()
        self._stop, self._stop_reason, self._saved = False, None, None

    def request_stop(self, reason="stopped by a callback"):
        """Stop after the current optimizer step (saving last.npz), as Ctrl-C does."""
        self._stop, self._stop_reason = True, reason

    @property
    def data_rng(self):
        """The generator of the training data's order."""
        loader = self.train_loader or self.train_data
        return None if loader is None else loader.rng

    def restore(self, ckpt):
        """Continue from ``ckpt`` (already read; see RunState.restore); a YAML run's
        DataLoader gets its order, position and generator at once."""
        super().restore(ckpt)
        if self.train_data is not None:
            self.attach_loader(self.train_data)
        st = self.state
        self._saved = {k: st[k] for k in ("epoch", "step", "pos", "best_epoch")}

    # ---- fit -----------------------------------------------------------------------------------
    def _loader(self, train):
        if train is None:
            train = self.train_data
        if train is None:
            raise TypeError("Trainer.fit: give the training data: an (X, y) tuple or a nets.DataLoader")
        if isinstance(train, DataLoader):
            loader = train
        else:
            X, y = _arrays(train, "fit: train")
            saved = layers.get_rng().bit_generator.state
            loader = DataLoader(X, y, batch_size=32, shuffle=True)
            if self._loader_state is not None:     # a restored run: its package generator stays as saved
                layers.get_rng().bit_generator.state = saved
        if loader.y is None:
            raise ValueError("Trainer.fit: the training DataLoader has no targets (y=None)")
        if len(loader) == 0:
            raise ValueError(f"Trainer.fit: the training data has no batch ({loader.num_samples} samples)")
        if needs_closure(self.optimizer) and self.exp is None:
            problems = check_closure_settings(self.optimizer, self.t, loader.batch_size, loader.num_samples)
            if problems:
                key, text = problems[0]
                raise ValueError(f"Trainer.fit: {key}: {text}")
        return loader

    def fit(self, train=None, val=None):
        """Train until ``epochs``, early stopping, a callback's stop or Ctrl-C; returns a Result
        (``.history``: one dict per epoch). ``train``: (X, y) or a DataLoader (a tuple is batched
        32 at a time, shuffled); ``val``: (X, y), a DataLoader or None. The run folder is locked
        for the call (another process training it is refused: run_lock.RunLocked), and one this
        call created is removed again if the run fails before its first step."""
        locked = self.run_dir is not None and self.dist.is_root
        created = locked and not self.run_dir.exists()
        if locked:
            run_lock.acquire(self.run_dir)
        try:
            return self._fit(train, val)
        except BaseException:
            if created and self.state["step"] == 0:
                run_lock.release(self.run_dir)
                remove_unstarted(self.run_dir)
            raise
        finally:
            if locked:
                run_lock.release(self.run_dir)

    def _fit(self, train, val):
        loader = self._loader(train)
        val = self.val_data if val is None else val
        val = None if val is None else _arrays(val, "fit: val")
        st, t = self.state, self.t
        if self.metrics is not None and self.metrics.path.exists():
            self.history[:] = self.metrics.read(st["epoch"])
        if self._saved is not None and self.run_dir is not None:
            self._check_best()
        if st["done"]:
            return self._result("already_done", f"the run has already stopped ({st['done']})")
        if st["epoch"] >= t["epochs"]:
            return self._result("already_done", f"the run has already done its {st['epoch']} epochs "
                                                f"(raise train.epochs to go on)")
        self.attach_loader(loader)
        for note in fit_schedule(self.schedule, t, len(loader)):     # 'auto' horizons follow the epochs
            self.log(f"warning: {note}")
        if self.config is None and self.run_dir is not None:
            self.describe_python_run(loader.X, val)
        self.dist.check_batches(loader.num_samples, loader.batch_size, loader.drop_last,
                                "train.batch_size" if self.exp is not None else "Trainer.fit")
        self.dist.share_data_order(loader)
        if not self._streams_split:      # a fresh run: rank 0's start, then each rank its own streams
            self.dist.start(self.net, self.optimizer)
            self.dist.split_streams(self.rank_streams())
            self._streams_split = True
        if self.metrics is not None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.history[:] = self.metrics.start(st["epoch"])
            for stale in self.run_dir.glob(".*.tmp-*"):   # left by a killed write
                stale.unlink()
            if self._saved is None and (self.run_dir / "best.npz").exists():
                (self.run_dir / "best.npz").unlink()     # left by a run killed before its first last.npz
        self._stop, self._stop_reason = False, None
        main_thread = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, self._on_sigint) if main_thread else None
        self._session_start = time.perf_counter()
        try:
            call(self.callbacks, "on_fit_start", self)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # NaN/inf: Diverged says it
                result = self._loop(loader, val)
            call(self.callbacks, "on_fit_end", self, result)
            return result
        finally:
            st["seconds"] = self.seconds()
            self._session_start = None
            if old is not None:
                signal.signal(signal.SIGINT, old)

    def _loop(self, loader, val):
        st, t = self.state, self.t
        net, loss, task, opt, sched = self.net, self.loss, self.task, self.optimizer, self.schedule
        n, bs, nb = loader.num_samples, loader.batch_size, len(loader)
        k = t["accumulate"]
        per_step = sched is not None and t["schedule_interval"] == "step"
        closure = needs_closure(opt)
        net.train()
        while st["epoch"] < t["epochs"]:
            epoch = st["epoch"]
            bar = tqdm(total=None if closure else nb, initial=0 if closure else loader.pos,
                       desc=f"epoch {epoch + 1}/{t['epochs']}", leave=False, unit="eval" if closure else "batch",
                       disable=None if self.progress else True, file=sys.stderr)
            try:
                group_start = loader.pos
                for xb, yb in loader:
                    b = loader.pos - 1
                    xb, yb = self.dist.local(xb, yb)       # this rank's share of the global batch
                    if closure:             # LBFGS: step(closure) on the full batch, as often as it asks
                        value, loss_sum, count, stop = self._closure_step(
                            xb, yb, bar, f"epoch {epoch + 1}, batch {b + 1}/{nb}")
                        st["loss_sum"] += loss_sum
                        st["loss_count"] += count
                        self._last_batch = (xb, yb)
                        st["step"] += 1
                        st["pos"] = b + 1
                        st["last_lr"] = opt.lr
                        if per_step:
                            sched.step(value) if sched.needs_metric else sched.step()
                        call(self.callbacks, "on_step_end", self, value)
                        if self._stop if self.dist.size == 1 else stop:
                            self._stop = True
                            return self._interrupted(f"at step {st['step']} (epoch {epoch + 1})")
                        continue
                    value = loss.forward(forward(net, xb), task.targets(yb))
                    value, loss_sum, count, nonfinite, stop = self.dist.sync_batch(value, len(yb), self._stop)
                    if nonfinite:
                        raise Diverged(diverged_message(
                            f"the loss is {value} at step {st['step'] + 1} (epoch {epoch + 1}, batch {b + 1}/{nb}); "
                            f"training stopped before that update", kept_text(self.run_dir, self._saved)))
                    grad = loss.backward()
                    if k > 1 or self.dist.size > 1:   # weighed by its share of the (global) group's samples
                        grad = scaled(grad, group_share(b, len(yb), k, bs, n))
                    net.backward(*grad) if type(grad) is tuple else net.backward(grad)
                    st["loss_sum"] += loss_sum
                    st["loss_count"] += count
                    self._last_batch = (xb, yb)
                    bar.update(1)
                    if b + 1 - group_start < k and b + 1 < nb:
                        continue
                    self.dist.reduce_gradients(opt)       # summed over the ranks, before clipping
                    call(self.callbacks, "on_before_step", self)
                    update(opt, t["clip_norm"], t["clip_value"])
                    group_start = b + 1
                    st["step"] += 1
                    st["pos"] = b + 1
                    st["last_lr"] = opt.lr
                    if per_step:
                        sched.step(value) if sched.needs_metric else sched.step()
                    if bar.n % 10 == 0:
                        bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                    call(self.callbacks, "on_step_end", self, value)
                    if self._stop if self.dist.size == 1 else stop:    # ranks agree through sync_batch
                        self._stop = True
                        return self._interrupted(f"at step {st['step']} (epoch {epoch + 1}, batch {b + 1}/{nb})")
            finally:
                bar.close()
            stop = self._end_epoch(sched, per_step, val)
            self._stop = self.dist.any(self._stop)
            if stop or self._stop:
                break
        if self._stop and st["epoch"] < t["epochs"] and not st["done"]:
            return self._interrupted(f"after epoch {st['epoch']}", save=False)
        status = "early_stopped" if st["done"] and st["done"].startswith("early") else "finished"
        return self._result(status, st["done"] or "")
