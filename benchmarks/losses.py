"""python -m benchmarks.losses [LOSS ...] [--repeats N] [--steps N] [--threads N] [--no-torch] [--json PATH]

Each loss's forward + backward alone, on a (1024, 100) float32 batch (every
prediction that shape; labels (1024,) for the per-sample losses), kubik against
torch.nn (its CPU default, autograd: ``loss(...).backward()`` with fresh gradients
each step), interleaved in one process as the main suite (harness.interleaved:
median of per-round ratios over quiet rounds). Target: kubik/torch <= 1.5 for
every loss.
"""
import sys

import numpy as np

from kubik import losses

from . import harness
from .optimizers import StepRunner
from .suite import log

N, D = 1024, 100
TARGET = 1.5


def _inputs(seed=0):
    """Named float32 arrays every case draws from."""
    rng = np.random.default_rng(seed)
    f = lambda *s: rng.standard_normal(s, dtype=np.float32)            # noqa: E731
    logits = f(N, D)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    q = np.exp(f(N, D))
    return {"x": f(N, D), "t": f(N, D), "n": f(N, D), "logp": logp.astype(np.float32),
            "q": (q / q.sum(1, keepdims=True)).astype(np.float32),
            "counts": rng.poisson(2.0, (N, D)).astype(np.float32), "var": np.exp(f(N, D) * 0.3),
            "signs": np.where(rng.random((N, D)) < 0.5, -1.0, 1.0).astype(np.float32),
            "row_signs": np.where(rng.random(N) < 0.5, -1.0, 1.0).astype(np.float32),
            "labels": rng.integers(0, D, N)}


# name: (kubik class and arguments, torch class, forward arguments (names in _inputs), which get gradients)
CASES = {
    "L1": ("L1", {}, "L1Loss", ("x", "t"), (0,)),
    "SmoothL1": ("SmoothL1", {}, "SmoothL1Loss", ("x", "t"), (0,)),
    "Huber": ("Huber", {"delta": 0.5}, "HuberLoss", ("x", "t"), (0,)),
    "KLDiv": ("KLDiv", {"reduction": "batchmean"}, "KLDivLoss", ("logp", "q"), (0,)),
    "PoissonNLL": ("PoissonNLL", {}, "PoissonNLLLoss", ("x", "counts"), (0,)),
    "GaussianNLL": ("GaussianNLL", {}, "GaussianNLLLoss", ("x", "t", "var"), (0, 2)),
    "MarginRanking": ("MarginRanking", {"margin": 0.5}, "MarginRankingLoss", ("x", "t", "signs"), (0, 1)),
    "CosineEmbedding": ("CosineEmbedding", {"margin": 0.2}, "CosineEmbeddingLoss", ("x", "t", "row_signs"), (0, 1)),
    "TripletMargin": ("TripletMargin", {}, "TripletMarginLoss", ("x", "t", "n"), (0, 1, 2)),
    "MultiMargin": ("MultiMargin", {}, "MultiMarginLoss", ("x", "labels"), (0,)),
    # the older losses, for comparison
    "MSE": ("MSE", {}, "MSELoss", ("x", "t"), (0,)),
    "CrossEntropy": ("CrossEntropy", {}, "CrossEntropyLoss", ("x", "labels"), (0,)),
}
NEW = ("L1", "SmoothL1", "Huber", "KLDiv", "PoissonNLL", "GaussianNLL", "MarginRanking", "CosineEmbedding",
       "TripletMargin", "MultiMargin")


def kubik_runner(case, data):
    name, kwargs, _, args, _ = CASES[case]
    loss = losses.LOSSES.get(name)(**kwargs)
    arrays = [data[a] for a in args]

    def step():
        loss.forward(*arrays)
        loss.backward()
    return StepRunner(step)


def torch_runner(case, data):
    import torch
    _, kwargs, tname, args, grads = CASES[case]
    loss = getattr(torch.nn, tname)(**kwargs)
    tensors = [torch.from_numpy(data[a]) for a in args]
    for i in grads:
        tensors[i].requires_grad_()

    def step():
        for i in grads:
            tensors[i].grad = None
        loss(*tensors).backward()
    return StepRunner(step)


def parse(argv):
    p = harness.parser("python -m benchmarks.losses", __doc__, list(CASES), "loss")
    p.add_argument("--repeats", type=int, default=7, help="timed rounds (default 7)")
    p.add_argument("--steps", type=int, default=50, help="forward + backward calls per round (default 50)")
    p.add_argument("--settle", type=float, default=0.1, help="pause before each timed round (s)")
    a = harness.parse_checked(p, argv, list(CASES), "loss", ["repeats", "steps", "threads"])
    if a.settle < 0:
        p.error("--settle must be >= 0")
    return a


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    torch_ok = harness.start(a)
    data = _inputs()
    rows, report = [], []
    for case in a.names or list(CASES):
        log(f"timing {case} ...")
        runners = {"kubik": kubik_runner(case, data)}
        if torch_ok:
            runners["torch"] = torch_runner(case, data)
        times, rounds = harness.interleaved(runners, a.steps, a.repeats, warmup=5, settle=a.settle)
        res = {"loss": case, "new": case in NEW, "rounds": rounds,
               "us": {k: harness.summary([1e6 * x for x in v]) for k, v in times.items()}}
        if "torch" in times:
            res["kubik/torch"] = harness.ratios(times["kubik"], times["torch"], rounds)
        report.append(res)
        us = lambda k: f"{res['us'][k]['median']:.0f}" if k in res["us"] else "-"       # noqa: E731
        r = res.get("kubik/torch")
        ratio = "-" if r is None else f"{r['median']:.2f} [{r['min']:.2f}-{r['max']:.2f}]" + (
            " BUSY" if r["busy_only"] else "")
        verdict = "" if r is None or case not in NEW else ("ok" if r["median"] <= TARGET else "MISSED")
        rows.append([case, us("torch"), us("kubik"), ratio, verdict])
    print(f"\nforward + backward of each loss on ({N}, {D}) float32, {a.threads} thread(s), µs, median of "
          f"{a.repeats} rounds of {a.steps} calls; target kubik/torch <= {TARGET} for the new losses\n")
    print(harness.table(rows, ["loss", "torch µs", "kubik µs", "kubik/torch [min-max]", "target"]))
    harness.save_results("losses", a, report, a.json)
    return report


if __name__ == "__main__":
    main()
