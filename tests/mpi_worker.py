"""Run by tests/test_distributed_mpi.py under ``mpirun -n N`` (or alone, as the
single-process reference): trains a tiny problem and writes each rank's
weights to OUT/rank<r>.npz.

    python tests/mpi_worker.py OUT KIND DTYPE [--epochs E] [--run DIR [--resume]] [--accumulate K]
                               [--batch B] [--samples N]
                               [--crash-rank R | --kill-rank R]

KIND: mlp (Linear-Tanh-Linear), bn (with BatchNorm1d and Dropout), syncbn
(SyncBatchNorm in place of BatchNorm1d), plainbn (BatchNorm1d, no Dropout:
the reference of syncbn), graph (a Graph: two inputs through a shared
encoder, two outputs under weighted losses). The global batch is 10 over 58 samples, so 3
ranks get uneven shards (4, 3, 3; the last batch of 8: 3, 3, 2).
"""
import argparse
import os
import signal
import sys
import time

import numpy as np

from kubik import layers, losses, nets, optim


def graph(dtype):
    """Two inputs through one shared encoder, two outputs (logits, aux) under two weighted losses."""
    layers.seed(0)
    enc = nets.Sequential(layers.Linear(8, 16, dtype=dtype), layers.Tanh())
    g = nets.Graph(inputs=["x1", "x2"], outputs=["logits", "aux"])
    g.add("e1", enc, "x1").add("e2", enc, "x2").add("cat", layers.Concatenate(), ["e1", "e2"])
    g.add("logits", layers.Linear(32, 3, dtype=dtype), "cat").add("aux", layers.Linear(16, 3, dtype=dtype), "e2")
    loss = nets.OutputLosses([(losses.CrossEntropy(), "logits"), (losses.CrossEntropy(), "aux", 0.3)], g.outputs)
    return g.set_propagate_down(False), loss


def model(kind, dtype):
    layers.seed(0)
    body = [layers.Linear(8, 16, dtype=dtype)]
    if kind in ("bn", "plainbn"):
        body.append(layers.BatchNorm1d(16, dtype=dtype))
    if kind == "syncbn":
        body.append(nets.SyncBatchNorm(16, dtype=dtype))
    body.append(layers.Tanh())
    if kind == "bn":
        body.append(layers.Dropout(0.2))
    body.append(layers.Linear(16, 3, dtype=dtype))
    return nets.Sequential(*body)


class Crash(nets.Callback):
    """Rank ``rank`` raises (or, with ``kill``, SIGKILLs itself) after step 2."""

    def __init__(self, rank, kill=False):
        self.rank, self.kill = rank, kill

    def on_step_end(self, trainer, loss):
        if trainer.dist.rank == self.rank and trainer.state["step"] == 2:
            if self.kill:
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"rank {self.rank} fails on purpose")


class StopOnRoot(nets.Callback):
    """Rank 0 alone asks to stop after step ``step`` (the ranks agree at the next step)."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, loss):
        if trainer.dist.rank == 0 and trainer.state["step"] == self.step:
            trainer.request_stop("rank 0 stops")


class BufferLog(nets.Callback):
    """Each epoch: this rank's BatchNorm running statistics after its last step (its own)
    and at the epoch's end (after the trainer averaged them over the ranks)."""

    def __init__(self):
        self.own, self.before, self.after = None, [], []

    def on_step_end(self, trainer, loss):
        self.own = {k: v.copy() for k, v in trainer.net.state_dict().items() if "running" in k}

    def on_epoch_end(self, trainer, row):
        self.before.append(self.own)
        self.after.append({k: v.copy() for k, v in trainer.net.state_dict().items() if "running" in k})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("kind")
    p.add_argument("dtype")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--run")
    p.add_argument("--crash-rank", type=int)
    p.add_argument("--kill-rank", type=int)
    p.add_argument("--accumulate", type=int, default=1)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--stop-step", type=int)
    p.add_argument("--samples", type=int, default=58)
    p.add_argument("--buffer-log", action="store_true")
    a = p.parse_args()
    dtype = np.dtype(a.dtype)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((a.samples, 8)).astype(dtype)
    y = (X @ rng.standard_normal((8, 3))).argmax(1)
    Xv = rng.standard_normal((13, 8)).astype(dtype)
    yv = (Xv @ rng.standard_normal((8, 3))).argmax(1)
    net, loss = graph(dtype) if a.kind == "graph" else (model(a.kind, dtype), losses.CrossEntropy())
    if a.kind == "graph":       # two inputs: a second block of features per sample
        X, Xv = (X, np.random.default_rng(2).standard_normal(X.shape).astype(dtype)), \
            (Xv, np.random.default_rng(3).standard_normal(Xv.shape).astype(dtype))
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9) if a.kind != "mlp" else optim.SGD(net.parameters(), lr=0.2)
    callbacks = [Crash(a.crash_rank)] if a.crash_rank is not None else []
    callbacks += [Crash(a.kill_rank, kill=True)] if a.kill_rank is not None else []
    callbacks += [StopOnRoot(a.stop_step)] if a.stop_step is not None else []
    buffers = BufferLog() if a.buffer_log else None
    callbacks += [buffers] if buffers is not None else []
    history = nets.fit(net, loss, opt, (X, y), val=(Xv, yv), epochs=a.epochs, batch_size=a.batch,
                       rng=5, clip_norm=1.0, progress=False, accumulate=a.accumulate, out=a.run, resume=a.resume, callbacks=callbacks,
                       log=lambda *x: None)
    comm = nets.distributed.world()
    state = net.state_dict()
    last = history[-1] if len(history) else {"val_loss": np.nan, "train_loss": np.nan}
    state["val_loss"] = np.array(last["val_loss"])
    state["train_loss"] = np.array(last["train_loss"]) if comm.is_root else np.array(0.0)
    state["step"] = np.array(history.result.step)
    os.makedirs(a.out, exist_ok=True)
    np.savez(os.path.join(a.out, f"rank{comm.rank}.npz"), **state)
    if buffers is not None:
        np.savez(os.path.join(a.out, f"buffers{comm.rank}.npz"),
                 **{f"{when}/{e}/{k}": v for when, log in (("before", buffers.before), ("after", buffers.after))
                    for e, d in enumerate(log) for k, v in d.items()})
    if a.crash_rank is not None or a.kill_rank is not None:
        time.sleep(60)      # never reached on the failing rank; the others must be ended by the abort


if __name__ == "__main__":
    sys.exit(main())
