"""python -m benchmarks.lbfgs [WORKLOAD ...] [--repeats N] [--iters N] [--threads N] [--no-torch] [--json PATH]

LBFGS's own cost per iteration, beyond the closure: each closure call is timed, and
(time of step(closure) − time inside the closure) / iterations is compared with the
mean closure call, on full-batch textbook nets (float32, flattened as the trainer
does), with the memory already full, both line-search settings. torch.optim.LBFGS on
the same net (torch.nn, its own closure) is timed the same way for reference.
Target: kubik's overhead < 20 % of a closure call.
"""
import statistics
import sys
import time

import numpy as np

from kubik import layers, losses, nets, optim

from . import harness
from .suite import log

WORKLOADS = {   # name: (description, sizes, samples, history sizes timed by default, memory filled first)
    "textbook": ("2-100-1 sigmoid net, BCE, full batch of 10 000 XOR-like samples (the suite's textbook data); "
                 "memory filled first", (2, 100, 1), 10_000, (10, 100), True),
    # it fits its 409 samples in some 30 iterations: timed as the shipped config runs, the first
    # 10 iterations from fresh weights (a memory of 100 pairs never fills)
    "breast_cancer": ("30-16-1 sigmoid net, BCE, full batch of 409 samples: the first 10 iterations from fresh "
                      "weights, as configs/breast_cancer_lbfgs.yaml runs", (30, 16, 1), 409, (10,), False),
}
TARGET = 0.20


def data(name):
    if name == "breast_cancer":
        X, y = nets.datasets.load("breast_cancer")
        X = (X - X.mean(0)) / X.std(0)
        return X[:409].astype(np.float32), y[:409].reshape(-1, 1).astype(np.float32)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((WORKLOADS[name][2], 2), dtype=np.float32)
    return X, (X[:, :1] * X[:, 1:2] > 0).astype(np.float32)


class Timed:
    """A closure that adds up the time spent inside it."""

    def __init__(self, closure):
        self.closure, self.seconds, self.calls = closure, 0.0, 0

    def __call__(self):
        t0 = time.perf_counter()
        value = self.closure()
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return value


def kubik_problem(name, kwargs):
    X, y = data(name)
    i, h, o = WORKLOADS[name][1]
    layers.seed(0)
    net = nets.Sequential(layers.Linear(i, h), layers.Sigmoid(), layers.Linear(h, o), layers.Sigmoid())
    net.flatten_parameters()
    loss = losses.BCE()

    def closure():
        net.zero_grad()
        value = loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        return value
    opt = optim.LBFGS(net.parameters(), **kwargs)
    return opt, closure, lambda: opt.n_iter


def torch_problem(name, kwargs):
    import torch
    X, y = (torch.from_numpy(a) for a in data(name))
    i, h, o = WORKLOADS[name][1]
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(i, h), torch.nn.Sigmoid(), torch.nn.Linear(h, o), torch.nn.Sigmoid())
    opt = torch.optim.LBFGS(net.parameters(), **kwargs)
    bce = torch.nn.BCELoss()

    def closure():
        opt.zero_grad()
        value = bce(net(X), y)
        value.backward()
        return value
    return opt, closure, lambda: opt.state[next(iter(net.parameters()))].get("n_iter", 0)


def measure(make, name, history, line_search, iters, repeats):
    """Median over ``repeats`` steps of ``iters`` iterations (after filling the memory, or from
    fresh weights: WORKLOADS): seconds per iteration outside the closure, seconds per closure
    call, and their ratio."""
    fill = WORKLOADS[name][4]
    kwargs = dict(history_size=history, line_search_fn=line_search, tolerance_grad=0.0, tolerance_change=0.0,
                  max_iter=history + 5, max_eval=10 * (history + 5))
    opt, closure, n_iter = make(name, kwargs)
    opt.step(closure)                                  # fills the memory (and warms up: imports, buffers)
    iters = iters if fill else 10
    opt.param_groups[0].update(max_iter=iters, max_eval=10 * iters)
    rows = []
    for _ in range(repeats):
        if not fill:
            opt, closure, n_iter = make(name, {**kwargs, "max_iter": iters, "max_eval": 10 * iters})
        timed = Timed(closure)
        before = n_iter()
        t0 = time.perf_counter()
        opt.step(timed)
        total = time.perf_counter() - t0
        done = n_iter() - before
        if done:
            rows.append(((total - timed.seconds) / done, timed.seconds / timed.calls, timed.calls / done))
    if not rows:
        return None
    over, call, evals = (statistics.median(r[k] for r in rows) for k in range(3))
    return {"overhead_us": 1e6 * over, "closure_us": 1e6 * call, "evals_per_iter": evals, "fraction": over / call,
            "rounds": len(rows)}


def parse(argv):
    p = harness.parser("python -m benchmarks.lbfgs", __doc__, list(WORKLOADS), "workload")
    p.add_argument("--repeats", type=int, default=7, help="timed steps per setting (default 7)")
    p.add_argument("--iters", type=int, default=20, help="iterations per timed step (default 20)")
    p.add_argument("--history", type=int, nargs="+", help="history sizes (default: 10 and 100 for textbook, "
                                                          "10 for breast_cancer)")
    return harness.parse_checked(p, argv, list(WORKLOADS), "workload", ["repeats", "iters", "history", "threads"])


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    torch_ok = harness.start(a)
    rows, report = [], []
    for name in a.names or list(WORKLOADS):
        for history in a.history or WORKLOADS[name][3]:
            for search in (None, "strong_wolfe"):
                log(f"timing {name}, history {history}, line search {search} ...")
                res = {"workload": name, "history_size": history, "line_search_fn": search,
                       "kubik": measure(kubik_problem, name, history, search, a.iters, a.repeats)}
                if torch_ok:
                    res["torch"] = measure(torch_problem, name, history, search, a.iters, a.repeats)
                report.append(res)
                k, t = res["kubik"], res.get("torch")
                cell = lambda r, key, fmt: "-" if not r else fmt.format(r[key])       # noqa: E731
                verdict = "-" if not k else ("ok" if k["fraction"] < TARGET else "MISSED")
                rows.append([name, history, search or "none", cell(k, "closure_us", "{:.0f}"),
                             cell(k, "overhead_us", "{:.1f}"), cell(k, "fraction", "{:.1%}"),
                             cell(k, "evals_per_iter", "{:.2f}"), cell(t, "closure_us", "{:.0f}"),
                             cell(t, "overhead_us", "{:.1f}"), cell(t, "fraction", "{:.1%}"), verdict])
    print(f"\nLBFGS per iteration beyond the closure, {a.threads} thread(s), median of {a.repeats} steps "
          f"(workloads below); target kubik overhead < {TARGET:.0%} of a closure call\n")
    print(harness.table(rows, ["workload", "history", "line search", "closure µs", "overhead µs", "overhead",
                               "evals/iter", "torch closure µs", "torch overhead µs", "torch overhead", "target"]))
    for name in a.names or list(WORKLOADS):
        print(f"  {name}: {WORKLOADS[name][0]}")
    harness.save_results("lbfgs", a, report, a.json)
    return report


if __name__ == "__main__":
    main()
