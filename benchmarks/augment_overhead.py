"""python -m benchmarks.augment_overhead [--repeats N] [--epochs E] [--config PATH]

What the training transforms (data.augment) add to an epoch of
configs/digits_cnn_augmented.yaml (RandomShift on 8x8 digits): whole runs of E
epochs (validation and checkpoints included, as a user runs them) with the
config's transforms and with ``data.augment=[]``, interleaved (on-off, off-on,
...) in one process, and the median of the per-pair ratios on/off. The machine
may be shared: ratios taken side by side are what holds, and times are the
process's CPU time, which other processes disturb less than wall time. Whole
runs scatter, so the transforms are also timed directly: the config's Augment
applied to every training batch of an epoch (copies of the batches, the
loader's generator), against the CPU time of a plain epoch.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from kubik.nets import build as B
from kubik.nets import config as C
from kubik.nets.trainer import Trainer

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "digits_cnn_augmented.yaml"


def one_run(config, epochs, augment, folder):
    sets = [f"train.epochs={epochs}", f"schedule.T_max={epochs}", "train.progress=false"]
    cfg, _ = C.load(config, sets + ([] if augment else ["data.augment=[]"]))
    exp = B.build(cfg)
    tr = Trainer(exp, folder, log=lambda *a: None)
    t0 = time.process_time()
    tr.fit()
    return time.process_time() - t0, exp


def transform_seconds(exp, rounds):
    """Median CPU seconds of applying the run's transforms to one epoch of training batches."""
    X, bs = exp.data.X_train, exp.config["train"]["batch_size"]
    batches = [X[i:i + bs] for i in range(0, len(X), bs)]
    rng = np.random.default_rng(0)
    out = []
    for _ in range(rounds):
        copies = [b.copy() for b in batches]
        t0 = time.process_time()
        for b in copies:
            exp.augment(b, rng)
        out.append(time.process_time() - t0)
    return statistics.median(out), len(batches)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.augment_overhead")
    p.add_argument("--repeats", type=int, default=9, help="pairs of runs (default 9)")
    p.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    p.add_argument("--config", default=str(CONFIG), help="a config with data.augment (default digits_cnn_augmented)")
    a = p.parse_args(argv)
    ratios, offs, ons = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        _, exp = one_run(a.config, 1, True, Path(tmp) / "warm")
        for i in range(a.repeats):
            t = {}
            for on in ((True, False) if i % 2 == 0 else (False, True)):
                t[on], _ = one_run(a.config, a.epochs, on, Path(tmp) / f"r{i}-{on}")
            offs.append(t[False])
            ons.append(t[True])
            ratios.append(t[True] / t[False])
    off, on, ratio = statistics.median(offs), statistics.median(ons), statistics.median(ratios)
    names = ", ".join(repr(t) for t in exp.augment.transforms)
    print(f"{Path(a.config).name}: {a.epochs} epochs a run, transforms {names}, {a.repeats} interleaved pairs "
          f"(CPU time)")
    print(f"  without transforms: median {off:.3f} s   with: median {on:.3f} s")
    print(f"  with/without: median ratio {ratio:.4f} (min {min(ratios):.4f}, max {max(ratios):.4f}) "
          f"-> overhead {100 * (ratio - 1):+.2f} % of a run")
    per_epoch, nb = transform_seconds(exp, 21)
    print(f"  direct: the transforms on one epoch's {nb} training batches take {1e3 * per_epoch:.2f} ms, "
          f"{100 * per_epoch / (off / a.epochs):.2f} % of a plain epoch ({1e3 * off / a.epochs:.1f} ms, "
          f"validation and checkpoints included)")


if __name__ == "__main__":
    main()
