"""The training loop: mini-batches in a seeded order, optional gradient
accumulation and clipping, a schedule per epoch or per step, validation,
early stopping, metrics.csv and checkpoints (see run_state for resuming).

    trainer = Trainer(experiment, run_dir)
    trainer.restore(checkpoint.read(run_dir / "last.npz"))   # optional
    result = trainer.fit()

Ctrl-C (SIGINT) finishes the current optimizer step, saves last.npz and
returns with status "interrupted"; a second Ctrl-C aborts at once. A NaN or
infinite loss stops the run before the update (``Diverged``) and leaves the
last good checkpoint as it was.
"""
import math
import signal
import sys
import threading
import time

import numpy as np
from tqdm import tqdm

from ..config import ConfigError
from ..diagnostics import Diagnostics  # diagnostics hook
from .evaluation import evaluate
from .metrics_log import MetricsLog, epoch_line
from .monitoring import EpochMetrics, early_stop, track_best
from .outcome import Diverged, Result, diverged_message
from .run_state import RunState
from .step import group_share, update


class Trainer(RunState):
    """Trains ``exp`` (a nets.build.Experiment), writing into ``run_dir``."""

    def __init__(self, exp, run_dir, progress=None, log=print):
        super().__init__(exp, run_dir)
        self.log = log
        self.t = exp.config["train"]
        self.progress = self.t["progress"] if progress is None else progress
        self.metrics = MetricsLog(self.run_dir / "metrics.csv")
        self._stop = False

    def _result(self, status, message=""):
        st = self.state
        return Result(status, st["epoch"], st["step"], st["best"], st["best_epoch"], message)

    def _on_sigint(self, signum, frame):
        if self._stop:  # a second Ctrl-C: give up at once
            raise KeyboardInterrupt
        self._stop = True

    def fit(self):
        """Train until train.epochs, early stopping or Ctrl-C; returns a Result."""
        st, t = self.state, self.t
        if st["done"]:
            return self._result("already_done", f"the run has already stopped ({st['done']})")
        if st["epoch"] >= t["epochs"]:
            return self._result("already_done", f"the run has already done its {st['epoch']} epochs "
                                                f"(raise train.epochs to go on)")
        n, bs = len(self.exp.data.X_train), t["batch_size"]
        if t["drop_last"] and n < bs:
            raise ConfigError(f"{bs} is larger than the {n} training samples, and drop_last is on",
                              ("train", "batch_size"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.metrics.start(st["epoch"])
        self.diagnostics = Diagnostics.from_config(self.exp, self.run_dir).start(st["step"])  # diagnostics hook
        main_thread = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, self._on_sigint) if main_thread else None
        self._session_start = time.perf_counter()
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # NaN/inf: Diverged says it
                return self._loop(n, bs)
        finally:
            st["seconds"] = self.seconds()
            self._session_start = None
            if old is not None:
                signal.signal(signal.SIGINT, old)

    def _loop(self, n, bs):
        st, t, exp = self.state, self.t, self.exp
        net, loss, task, opt, sched = exp.net, exp.loss, exp.task, exp.optimizer, exp.schedule
        X, y = exp.data.X_train, exp.data.y_train
        nb = n // bs if t["drop_last"] else -(-n // bs)
        k = t["accumulate"]
        per_step = sched is not None and exp.config["schedule"]["interval"] == "step"
        every = t["checkpoint"]["every_steps"]
        net.train()
        while st["epoch"] < t["epochs"]:
            epoch = st["epoch"]
            if st["order"] is None:
                st["order"] = self.data_rng.permutation(n) if t["shuffle"] else np.arange(n)
            order = st["order"]
            bar = tqdm(total=nb, initial=st["pos"], desc=f"epoch {epoch + 1}/{t['epochs']}", leave=False,
                       unit="batch", disable=None if self.progress else True, file=sys.stderr)
            try:
                group_start = st["pos"]
                for b in range(st["pos"], nb):
                    idx = order[b * bs:(b + 1) * bs]
                    yb = y[idx]
                    value = loss.forward(net.forward(X[idx]), task.targets(yb))
                    if not math.isfinite(value):
                        raise Diverged(diverged_message(value, st["step"] + 1, epoch, b, nb,
                                                        self.run_dir / "last.npz"))
                    grad = loss.backward()
                    if k > 1:   # each micro-batch weighs by its share of the group's samples
                        grad *= group_share(b, len(idx), k, bs, n)
                    net.backward(grad)
                    st["loss_sum"] += value * len(idx)
                    st["loss_count"] += len(idx)
                    bar.update(1)
                    if b + 1 - group_start < k and b + 1 < nb:
                        continue
                    self.diagnostics.before_update(st["step"] + 1)  # diagnostics hook
                    update(opt, t["clip_norm"], t["clip_value"])
                    group_start = b + 1
                    st["step"] += 1
                    self.diagnostics.after_update(st["step"])  # diagnostics hook
                    st["pos"] = b + 1
                    st["last_lr"] = opt.lr
                    if per_step:
                        sched.step(value) if sched.needs_metric else sched.step()
                    if bar.n % 10 == 0:
                        bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                    if every and st["step"] % every == 0:
                        self.save()
                    if self._stop:
                        path = self.save()
                        return self._result("interrupted", f"interrupted at step {st['step']} (epoch {epoch + 1}, "
                                                           f"batch {b + 1}/{nb}); saved {path}")
            finally:
                bar.close()
            stop = self._end_epoch(sched, per_step)
            if stop or self._stop:
                break
        status = "early_stopped" if st["done"] and st["done"].startswith("early") else (
            "interrupted" if self._stop and st["epoch"] < t["epochs"] else "finished")
        msg = st["done"] or (f"interrupted after epoch {st['epoch']}; saved {self.run_dir / 'last.npz'}"
                             if status == "interrupted" else "")
        return self._result(status, msg)

    def _end_epoch(self, sched, per_step):
        """Validate, step an epoch schedule, track the best epoch and early
        stopping, write metrics.csv and the checkpoints; True to stop."""
        st, t, exp = self.state, self.t, self.exp
        epoch = st["epoch"] + 1
        train_loss = st["loss_sum"] / max(st["loss_count"], 1)
        validate = epoch % t["val_interval"] == 0 or epoch == t["epochs"]
        val_loss, val_acc = (evaluate(exp, exp.data.X_val, exp.data.y_val, t["eval_batch_size"])
                             if validate else (None, None))
        lr = st["last_lr"] if st["last_lr"] is not None else exp.optimizer.lr
        if sched is not None and not per_step:
            metric = val_loss if val_loss is not None else train_loss
            sched.step(metric) if sched.needs_metric else sched.step()
        metrics = EpochMetrics(train_loss, val_loss, val_acc, len(exp.data.X_val) > 0)
        improved = track_best(st, metrics, t["checkpoint"]["monitor"], epoch)
        es = t["early_stopping"]
        stop = bool(es["patience"] and validate) and early_stop(st, metrics, es, epoch)
        st.update(epoch=epoch, pos=0, order=None, loss_sum=0.0, loss_count=0)
        self.metrics.write(epoch, st["step"], train_loss, val_loss, val_acc, lr, self.seconds())
        self.save()
        if improved:
            self.save("best.npz")
        self.log(epoch_line(epoch, t["epochs"], train_loss, val_loss, val_acc, lr, self.seconds()))
        return stop
