"""python -m benchmarks.diagnostics_overhead [--repeats N] [--epochs E] [--every N]

What per-layer diagnostics (train.monitor, every_steps N, all of grad_norm,
update_ratio, weight_norm, activations) add to training configs/digits_mlp.yaml:
whole runs of E epochs (validation and checkpoints included, as a user runs them)
with diagnostics off and on, interleaved (off-on, on-off, ...) in one process, and
the median of the per-pair ratios on/off (the machine may be shared: ratios taken
side by side are what holds; times are the process's CPU time, which other
processes' load disturbs less than wall time). Whole runs on a busy machine scatter widely, so
the cost of a monitored step is also measured directly: training steps on one
batch with diagnostics on every step and off, interleaved in blocks, and the
overhead at every N steps estimated as (monitored - plain) / (N x plain). Also the
cost of the two hook calls per step when off.
"""
import argparse
import statistics
import tempfile
import time
import timeit
from pathlib import Path

from kubik import nets
from kubik.nets import build as B
from kubik.nets import config as C
from kubik.nets.diagnostics import Diagnostics
from kubik.nets.trainer import Trainer

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "digits_mlp.yaml"


def one_run(epochs, every, folder):
    cfg, _ = C.load(CONFIG, [f"train.epochs={epochs}", "train.progress=false", f"train.monitor.every_steps={every}"])
    exp = B.build(cfg)
    tr = Trainer(exp, folder, log=lambda *a: None)
    t0 = time.process_time()
    tr.fit()
    return time.process_time() - t0, tr.state["step"]


def step_costs(blocks, steps, folder):
    """Median seconds of a plain and of a monitored training step (one digits_mlp batch)."""
    import numpy as np
    cfg, _ = C.load(CONFIG, ["train.progress=false"])
    exp = B.build(cfg)
    X, y = exp.data.X_train[:32], exp.task.targets(exp.data.y_train[:32])
    net, loss, opt = exp.net, exp.loss, exp.optimizer
    diags = {False: Diagnostics(net, folder, every_steps=0).start(0),
             True: Diagnostics(net, folder, every_steps=1).start(0)}
    times = {False: [], True: []}
    for b in range(2 * blocks):
        on = bool(b % 2) ^ bool(b // 2 % 2)
        d = diags[on]
        if on:
            d.start(0)
        t0 = time.process_time()
        for s in range(1, steps + 1):
            loss.forward(net.forward(X), y)
            net.backward(loss.backward())
            d.before_update(s)
            opt.step()
            opt.zero_grad()
            d.after_update(s)
        times[on].append((time.process_time() - t0) / steps)
        diags[True]._disarm()
    assert np.isfinite(loss.forward(net.forward(X), y))
    return statistics.median(times[False]), statistics.median(times[True])


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.diagnostics_overhead")
    p.add_argument("--repeats", type=int, default=11, help="pairs of runs (default 11)")
    p.add_argument("--epochs", type=int, default=30, help="epochs per run (default 10)")
    p.add_argument("--every", type=int, default=50, help="train.monitor.every_steps when on (default 50)")
    a = p.parse_args(argv)
    ratios, offs, ons = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        one_run(1, a.every, Path(tmp) / "warm")
        for i in range(a.repeats):
            order = (0, a.every) if i % 2 == 0 else (a.every, 0)
            t = {}
            for every in order:
                t[every], steps = one_run(a.epochs, every, Path(tmp) / f"r{i}-{every}")
            offs.append(t[0])
            ons.append(t[a.every])
            ratios.append(t[a.every] / t[0])
    monitored = steps // a.every
    off, on = statistics.median(offs), statistics.median(ons)
    print(f"digits_mlp, {a.epochs} epochs = {steps} optimizer steps, diagnostics every {a.every} steps "
          f"({monitored} monitored steps), {a.repeats} interleaved pairs")
    print(f"  off: median {off:.3f} s   on: median {on:.3f} s (CPU time)")
    print(f"  on/off: median ratio {statistics.median(ratios):.4f} "
          f"(min {min(ratios):.4f}, max {max(ratios):.4f}) -> overhead {100 * (statistics.median(ratios) - 1):+.2f} %")
    print(f"  per monitored step: about {1000 * (on - off) / max(monitored, 1):.2f} ms "
          f"(an optimizer step with its share of validation and checkpoints: {1000 * off / steps:.2f} ms)")
    with tempfile.TemporaryDirectory() as tmp:
        plain, watched = step_costs(20, 50, tmp)
    print(f"  direct: plain step {1e3 * plain:.3f} ms, monitored step {1e3 * watched:.3f} ms "
          f"(+{1e3 * (watched - plain):.3f} ms) -> every {a.every} steps: {100 * (watched - plain) / (a.every * plain):+.2f} % of the training steps")
    net = nets.Sequential()
    diag = Diagnostics(net, tempfile.gettempdir(), every_steps=0)
    n = 200000
    per = timeit.timeit(lambda: (diag.before_update(7), diag.after_update(7)), number=n) / n
    print(f"  off: the two hook calls cost {1e6 * per:.2f} µs per step "
          f"({100 * per / (off / steps):.4f} % of a step)")


if __name__ == "__main__":
    main()
