"""The training loop: mini-batches in a seeded order, optional gradient
accumulation and clipping, a schedule per epoch or per step, validation,
early stopping, metrics.csv, and checkpoints from which a run resumes bit for
bit (also mid-epoch, also after SIGKILL).

    trainer = Trainer(experiment, run_dir)
    trainer.restore(checkpoint.read(run_dir / "last.npz"))   # optional
    result = trainer.fit()

Resume is exact because a checkpoint holds all the state the loop reads:
weights, buffers, optimizer and schedule state, every random generator
(package, layers' own, data order), the epoch's data order and the position
in it, the running sums of the epoch's training loss and the early-stopping
counters. Checkpoints are only taken between optimizer steps.

With ``accumulate: k``, k micro-batches make one optimizer step; each
micro-batch's loss gradient is weighted by its share of the group's samples
(1/k for equal sizes), so for a mean-reduced loss the step equals that of one
k-times larger batch, a short last group included.

Ctrl-C (SIGINT) finishes the current optimizer step, saves last.npz and
returns with status "interrupted"; a second Ctrl-C aborts at once. A NaN or
infinite loss stops the run before the update (``Diverged``) and leaves the
last good checkpoint as it was.
"""
import csv
import math
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

import layers
import optim

from . import checkpoint
from .config import ConfigError, config_hash

METRICS = ("epoch", "step", "train_loss", "val_loss", "val_accuracy", "lr", "seconds")


class Diverged(Exception):
    """The loss became NaN or infinite; the message names the step."""


@dataclass
class Result:
    status: str          # "finished", "early_stopped", "interrupted", "already_done"
    epoch: int
    step: int
    best: float = None
    best_epoch: int = None
    message: str = ""


def evaluate(exp, X, y, batch_size=1000):
    """(mean loss, accuracy or None) of the net in eval mode on X, y; restores the mode."""
    net, loss, task = exp.net, exp.loss, exp.task
    if not len(X):
        return None, None
    was = net.training
    net.eval()
    total, correct = 0.0, 0
    try:
        for i in range(0, len(X), batch_size):
            out = net.forward(X[i:i + batch_size])
            yb = y[i:i + batch_size]
            total += loss.forward(out, task.targets(yb)) * len(yb)
            c = task.correct(out, yb)
            correct = None if c is None else correct + c
    finally:
        net.train(was)
    return total / len(X), (None if correct is None else correct / len(X))


class Trainer:
    """Trains ``exp`` (a nets.build.Experiment), writing into ``run_dir``."""

    def __init__(self, exp, run_dir, progress=None, log=print):
        self.exp, self.run_dir, self.log = exp, Path(run_dir), log
        cfg = exp.config
        self.t = cfg["train"]
        self.progress = self.t["progress"] if progress is None else progress
        self.data_rng = np.random.default_rng([int(cfg["seed"]), 7])
        self.hash = config_hash(cfg)
        self.state = {"epoch": 0, "pos": 0, "step": 0, "order": None, "seconds": 0.0,
                      "loss_sum": 0.0, "loss_count": 0, "best": None, "best_epoch": None,
                      "es_best": None, "bad_epochs": 0, "done": None, "last_lr": None}
        self._stop = False
        self._session_start = None

    # -- checkpoints --------------------------------------------------------------------------------
    def generators(self):
        return {"package": layers.get_rng(), "data": self.data_rng}

    def save(self, name="last.npz"):
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
                f"checkpoint '{ckpt.path}' was written by a different config (hash {ckpt.config_hash}, "
                f"this config {self.hash}); only train.epochs, train.out and train.progress may change on resume")
        checkpoint.restore(ckpt, self.exp.net, self.exp.optimizer, self.exp.schedule, self.generators())
        st = ckpt.trainer
        missing = sorted(set(self.state) - set(st) - {"order"})
        if missing:
            raise checkpoint.CheckpointError(f"checkpoint '{ckpt.path}' lacks trainer state {missing}")
        self.state.update(st)
        self.state.setdefault("order", None)
        if self.state["order"] is not None:
            self.state["order"] = np.asarray(self.state["order"])

    def seconds(self):
        extra = 0.0 if self._session_start is None else time.perf_counter() - self._session_start
        return self.state["seconds"] + extra

    # -- metrics ------------------------------------------------------------------------------------
    def _metrics_path(self):
        return self.run_dir / "metrics.csv"

    def _prepare_metrics(self):
        """Create metrics.csv, or keep only the rows of epochs the checkpoint has completed."""
        path = self._metrics_path()
        rows = []
        if path.exists():
            with open(path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if r.get("epoch", "").isdigit()
                        and int(r["epoch"]) <= self.state["epoch"]]
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, METRICS)
            w.writeheader()
            w.writerows({k: r.get(k, "") for k in METRICS} for r in rows)

    def _write_row(self, row):
        with open(self._metrics_path(), "a", newline="") as f:
            csv.DictWriter(f, METRICS).writerow(row)

    # -- the loop ---------------------------------------------------------------------------------------
    def _on_sigint(self, signum, frame):
        if self._stop:  # a second Ctrl-C: give up at once
            raise KeyboardInterrupt
        self._stop = True

    def fit(self):
        st, t, exp = self.state, self.t, self.exp
        if st["done"]:
            return Result("already_done", st["epoch"], st["step"], st["best"], st["best_epoch"],
                          f"the run has already stopped ({st['done']})")
        if st["epoch"] >= t["epochs"]:
            return Result("already_done", st["epoch"], st["step"], st["best"], st["best_epoch"],
                          f"the run has already done its {st['epoch']} epochs (raise train.epochs to go on)")
        n, bs = len(exp.data.X_train), t["batch_size"]
        if t["drop_last"] and n < bs:
            raise ConfigError(f"{bs} is larger than the {n} training samples, and drop_last is on",
                              ("train", "batch_size"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_metrics()
        old = signal.signal(signal.SIGINT, self._on_sigint) if _main_thread() else None
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
                        raise Diverged(self._diverged_message(value, epoch, b, nb))
                    grad = loss.backward()
                    if k > 1:   # each micro-batch weighs by its share of the group's samples
                        group = b - b % k
                        grad *= len(idx) / (min((group + k) * bs, n) - group * bs)
                    net.backward(grad)
                    st["loss_sum"] += value * len(idx)
                    st["loss_count"] += len(idx)
                    bar.update(1)
                    if b + 1 - group_start < k and b + 1 < nb:
                        continue
                    self._update()
                    group_start = b + 1
                    st["step"] += 1
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
                        return Result("interrupted", st["epoch"], st["step"], st["best"], st["best_epoch"],
                                      f"interrupted at step {st['step']} (epoch {epoch + 1}, batch {b + 1}/{nb}); "
                                      f"saved {path}")
            finally:
                bar.close()
            stop = self._end_epoch(sched, per_step)
            if stop or self._stop:
                break
        status = "early_stopped" if st["done"] and st["done"].startswith("early") else (
            "interrupted" if self._stop and st["epoch"] < t["epochs"] else "finished")
        msg = st["done"] or (f"interrupted after epoch {st['epoch']}; saved {self.run_dir / 'last.npz'}"
                             if status == "interrupted" else "")
        return Result(status, st["epoch"], st["step"], st["best"], st["best_epoch"], msg)

    def _update(self):
        """One optimizer step from the accumulated (already weighted) gradients."""
        t, opt = self.t, self.exp.optimizer
        params = opt.parameters()
        if t["clip_norm"] is not None:
            optim.clip_grad_norm(params, t["clip_norm"])
        if t["clip_value"] is not None:
            optim.clip_grad_value(params, t["clip_value"])
        opt.step()
        opt.zero_grad()

    def _diverged_message(self, value, epoch, b, nb):
        st = self.state
        last = self.run_dir / "last.npz"
        if last.exists():
            kept = f"the last good checkpoint, {last}, is kept"
        else:
            kept = "no checkpoint had been written yet"
        return (f"the loss is {value} at step {st['step'] + 1} (epoch {epoch + 1}, batch {b + 1}/{nb}); "
                f"training stopped before that update; {kept}. Try a smaller optimizer.lr or train.clip_norm")

    def _improved(self, value, best, monitor, min_delta):
        if value is None:
            return False
        if best is None:
            return True
        return value < best - min_delta if monitor == "val_loss" else value > best + min_delta

    def _end_epoch(self, sched, per_step):
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

        has_val = len(exp.data.X_val) > 0

        def metric_of(monitor):
            """(value, monitor) — without validation data, the training loss stands in."""
            if not has_val:
                return train_loss, "val_loss"
            return (val_loss if monitor == "val_loss" else val_acc), monitor

        ck = t["checkpoint"]
        value, mon = metric_of(ck["monitor"])
        improved = self._improved(value, st["best"], mon, 0.0)
        if improved:
            st["best"], st["best_epoch"] = value, epoch
        es, stop = t["early_stopping"], False
        if es["patience"] and validate:
            v, mon = metric_of(es["monitor"])
            if self._improved(v, st["es_best"], mon, es["min_delta"]):
                st["es_best"], st["bad_epochs"] = v, 0
            else:
                st["bad_epochs"] += 1
                if st["bad_epochs"] >= es["patience"]:
                    stop = True
                    st["done"] = (f"early stopping after epoch {epoch}: {es['monitor']} has not improved for "
                                  f"{st['bad_epochs']} validations (best {st['es_best']:.4g})")
        st.update(epoch=epoch, pos=0, order=None, loss_sum=0.0, loss_count=0)
        row = {"epoch": epoch, "step": st["step"], "train_loss": f"{train_loss:.6g}",
               "val_loss": "" if val_loss is None else f"{val_loss:.6g}",
               "val_accuracy": "" if val_acc is None else f"{val_acc:.6g}",
               "lr": f"{lr:.6g}", "seconds": f"{self.seconds():.3f}"}
        self._write_row(row)
        self.save()
        if improved:
            self.save("best.npz")
        parts = [f"epoch {epoch}/{t['epochs']}", f"train loss {train_loss:.4f}"]
        if val_loss is not None:
            parts.append(f"val loss {val_loss:.4f}")
        if val_acc is not None:
            parts.append(f"val acc {100 * val_acc:.2f}%")
        parts += [f"lr {lr:.4g}", f"{self.seconds():.1f}s"]
        self.log("  ".join(parts))
        return stop


def _main_thread():
    import threading
    return threading.current_thread() is threading.main_thread()
