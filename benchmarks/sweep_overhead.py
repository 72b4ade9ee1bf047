"""python -m benchmarks.sweep_overhead [--trials N] [--epochs E] [--repeats R] [--jobs J]

What ``kubik sweep``'s machinery adds to each trial beyond the trial's own
training: a sweep of N trials of configs/digits_mlp.yaml (E epochs, the
learning rate and the width varied, no pruning, the study in SQLite in a
temporary folder) is timed as a whole, in this process (``sweep.run``, as
``kubik sweep`` calls it, minus Python's start); then every trial's resolved
config.yaml is trained again the plain way (built and fitted by the Trainer
into a run folder, as ``kubik train`` does without the process start and the
test-split evaluation). The overhead per trial is (sweep - plain) / N: checking
the parameters, the folder and the study, asking the sampler, reporting each
epoch to the study, trial.yaml, telling the result and the report at the end,
all amortized over the trials. Repeated R times, sweep and plain interleaved;
the median is reported (wall time: SQLite's writes wait on the disk, which CPU
time would hide; the machine may be shared).
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from kubik.nets import build as B
from kubik.nets import config as C
from kubik.nets import sweep
from kubik.nets.trainer import Trainer

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "digits_mlp.yaml"
PARAMS = {"optimizer.lr": "loguniform(1e-3, 0.3)", "model[0].Linear.out_features": "choice(32, 64, 128)"}


def one_sweep(folder, trials, epochs, jobs):
    t0 = time.perf_counter()
    result = sweep.run(CONFIG, PARAMS, sets=[f"train.epochs={epochs}", f"schedule.T_max={epochs}"], trials=trials,
                       jobs=jobs, out=folder / "sweep", prune=False, log=lambda *a: None)
    wall = time.perf_counter() - t0
    assert result.status == "finished"
    return wall, sorted((folder / "sweep").glob("trial-*/config.yaml"))


def plain(configs, folder):
    """Wall seconds of training each config as kubik train does (build, Trainer, fit)."""
    t0 = time.perf_counter()
    fit = 0.0
    for i, path in enumerate(configs):
        cfg, _ = C.load(path)
        exp = B.build(cfg)
        tr = Trainer.from_experiment(exp, folder / f"plain-{i}", progress=False, log=lambda *a, **k: None)
        tr.fit()
        fit += tr.seconds()
    return time.perf_counter() - t0, fit


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.sweep_overhead")
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--jobs", type=int, default=1)
    a = p.parse_args(argv)
    rows = []
    for r in range(a.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            s_wall, configs = one_sweep(tmp, a.trials, a.epochs, a.jobs)
            p_wall, fit = plain(configs, tmp)
        per = (s_wall - p_wall) / a.trials
        rows.append((s_wall, p_wall, fit, per))
        print(f"repeat {r + 1}: sweep {s_wall:.2f}s, the same {a.trials} trainings plain {p_wall:.2f}s "
              f"(of which fit {fit:.2f}s): overhead {1000 * per:.0f} ms per trial", flush=True)
    med = statistics.median(x[3] for x in rows)
    train = statistics.median(x[1] for x in rows) / a.trials
    print(f"median overhead per trial: {1000 * med:.0f} ms (target < 500 ms), beside {1000 * train:.0f} ms of "
          f"plain training per trial ({a.trials} trials x {a.epochs} epochs, {a.jobs} job(s))")


if __name__ == "__main__":
    main()
