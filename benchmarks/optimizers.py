"""python -m benchmarks.optimizers [--repeats N] [--steps N] [--threads N] [--no-torch] [--json PATH]

One optimizer step alone, per optimizer: kubik's fused update on the numpy path
and on the compiled ([fast]) path, against torch.optim (its CPU default), on the
parameters of the 784-512-256-10 MLP (535 818 float32 values, flattened as the
trainer does, gradients fixed), interleaved in one process as the main suite
(harness.interleaved: median per-round ratios over quiet rounds). Catches an
update that got slower than numpy's passes: numba left Adam's loop scalar, 3x
slower than numpy, until its kernels used the numpy error model.
"""
import sys

import numpy as np

from kubik import layers, nets, optim

from . import harness
from .suite import Backend, fast_available, log

CONFIGS = {  # name: (kubik/torch class name, arguments both accept)
    "SGD": ("SGD", dict(lr=0.01)),
    "SGD momentum": ("SGD", dict(lr=0.01, momentum=0.9)),
    "SGD nesterov+wd": ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    "Adam": ("Adam", dict(lr=1e-3)),
    "AdamW": ("AdamW", dict(lr=1e-3, weight_decay=0.01)),
    "RMSprop": ("RMSprop", dict(lr=1e-3)),
    "Adagrad": ("Adagrad", dict(lr=1e-2)),
    "Adadelta": ("Adadelta", dict(lr=1.0)),          # these five: numpy passes only (no compiled kernel)
    "Adamax": ("Adamax", dict(lr=2e-3)),
    "NAdam": ("NAdam", dict(lr=2e-3)),
    "RAdam": ("RAdam", dict(lr=1e-3)),
    "Rprop": ("Rprop", dict(lr=1e-2)),
}
SIZES = ((784, 512), (512, 256), (256, 10))


class StepRunner:
    """``run(steps)`` calls ``step`` that many times (the harness's Runner protocol)."""

    def __init__(self, step):
        self.step = step

    def run(self, steps):
        for _ in range(steps):
            self.step()


def kubik_runner(config, backend):
    cls, args = CONFIGS[config]
    layers.seed(0)
    net = nets.Sequential(*[layers.Linear(i, o) for i, o in SIZES])
    net.flatten_parameters()
    for p in net.parameters():
        p.grad[...] = np.random.default_rng(1).standard_normal(p.shape, dtype=np.float32) * 1e-3
    opt = getattr(optim, cls)(net.parameters(), **args)
    return Backend(StepRunner(opt.step), backend)   # switches the backend once per run, not per step


def torch_runner(config):
    import torch
    cls, args = CONFIGS[config]
    torch.manual_seed(0)
    net = torch.nn.Sequential(*[torch.nn.Linear(i, o) for i, o in SIZES])
    for p in net.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt = getattr(torch.optim, cls)(net.parameters(), **args)
    return StepRunner(opt.step)


def parse(argv):
    p = harness.parser("python -m benchmarks.optimizers", __doc__, list(CONFIGS), "optimizer")
    p.add_argument("--repeats", type=int, default=7, help="timed rounds (default 7)")
    p.add_argument("--steps", type=int, default=100, help="optimizer steps per round (default 100)")
    p.add_argument("--settle", type=float, default=0.1, help="pause before each timed round (s)")
    p.add_argument("--no-fast", action="store_true", help="skip the compiled path")
    a = harness.parse_checked(p, argv, list(CONFIGS), "optimizer", ["repeats", "steps", "threads"])
    if a.settle < 0:
        p.error("--settle must be >= 0")
    return a


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    torch_ok = harness.start(a)
    fast = not a.no_fast and fast_available()
    rows, report = [], []
    for config in a.names or list(CONFIGS):
        log(f"timing {config} ...")
        runners = {"numpy": kubik_runner(config, "numpy")}
        if fast:
            runners["fast"] = kubik_runner(config, "numba")
        if torch_ok:
            runners["torch"] = torch_runner(config)
        times, rounds = harness.interleaved(runners, a.steps, a.repeats, warmup=3, settle=a.settle)
        res = {"optimizer": config, "rounds": rounds,
               "us": {k: harness.summary([1e6 * x for x in v]) for k, v in times.items()}}
        if "fast" in times:
            res["fast/numpy"] = harness.ratios(times["fast"], times["numpy"], rounds)
        if "torch" in times:
            res["numpy/torch"] = harness.ratios(times["numpy"], times["torch"], rounds)
            if "fast" in times:
                res["fast/torch"] = harness.ratios(times["fast"], times["torch"], rounds)
        report.append(res)
        us = lambda k: f"{res['us'][k]['median']:.0f}" if k in res["us"] else "-"
        ratio = lambda k: f"{res[k]['median']:.2f}" if k in res else "-"
        rows.append([config, us("torch"), us("numpy"), us("fast"), ratio("fast/numpy"),
                     ratio("numpy/torch"), ratio("fast/torch")])
    n = sum(i * o + o for i, o in SIZES)
    print(f"\none optimizer step on {n} float32 parameters (flat), {a.threads} thread(s), "
          f"µs, median of {a.repeats} rounds of {a.steps} steps\n")
    print(harness.table(rows, ["optimizer", "torch µs", "numpy µs", "fast µs", "fast/numpy",
                               "numpy/torch", "fast/torch"]))
    harness.save_results("optimizers", a, report, a.json)
    return report


if __name__ == "__main__":
    main()
