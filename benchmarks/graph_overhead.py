"""python -m benchmarks.graph_overhead [WORKLOAD ...] [--blocks N] [--steps S]

What running a net as a nets.Graph costs against the same layers in a
nets.Sequential (issue 24's target: a graph that is a plain chain at most 3 %
more per training step): for each workload (default mlp_b128 and textbook, see
benchmarks/workloads.py), the same layers, weights and batches built both ways
(``workloads.build(spec, graph=True)``), training steps (forward, backward,
optimizer step) timed in blocks interleaved Sequential / Graph / Graph /
Sequential ... in one process, and the median of the per-pair ratios (the machine
may be shared: ratios taken side by side are what holds). Times are the
process's CPU time per step.
"""
import argparse
import statistics
import time

from .specs import SPECS
from .workloads import build

DEFAULT = ("mlp_b128", "textbook")


def block_time(runner, steps):
    t0 = time.process_time()
    runner.run(steps)
    return (time.process_time() - t0) / steps


def measure(name, blocks, steps):
    spec = SPECS[name]
    seq, graph = build(spec, seed=0), build(spec, seed=0, graph=True)
    seq.run(steps), graph.run(steps)                     # warm up: buffers, BLAS, the graph's plan
    times, ratios = {"seq": [], "graph": []}, []
    for b in range(blocks):
        order = ("seq", "graph") if b % 2 == 0 else ("graph", "seq")
        got = {}
        for which in order:
            got[which] = block_time(seq if which == "seq" else graph, steps)
            times[which].append(got[which])
        ratios.append(got["graph"] / got["seq"])
    return {"workload": name, "seq_ms": 1e3 * statistics.median(times["seq"]),
            "graph_ms": 1e3 * statistics.median(times["graph"]), "ratio": statistics.median(ratios),
            "ratio_spread": (min(ratios), max(ratios)), "blocks": blocks, "steps": steps}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.graph_overhead", description=__doc__.split("\n\n")[1])
    p.add_argument("workloads", nargs="*", default=list(DEFAULT), help=f"default: {' '.join(DEFAULT)}")
    p.add_argument("--blocks", type=int, default=20, help="timed blocks per container (default 20)")
    p.add_argument("--steps", type=int, default=0, help="steps per block (default: ~0.2 s of steps)")
    a = p.parse_args(argv)
    print(f"{'workload':<10} {'Sequential ms/step':>19} {'Graph ms/step':>14} {'Graph / Sequential':>19}  (range)")
    results = []
    for name in a.workloads:
        steps = a.steps or max(5, int(0.2 / block_time(build(SPECS[name], seed=0), 5)))
        r = measure(name, a.blocks, steps)
        results.append(r)
        lo, hi = r["ratio_spread"]
        print(f"{name:<10} {r['seq_ms']:>19.4f} {r['graph_ms']:>14.4f} {r['ratio']:>19.4f}  ({lo:.3f}-{hi:.3f})")
    return results


if __name__ == "__main__":
    main()
