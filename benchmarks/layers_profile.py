"""python -m benchmarks.layers_profile [WORKLOAD] [--backend numpy|numba] [--steps N] [--threads N]

Where a training step's time goes: each layer's forward and backward, the loss
and the optimizer, timed separately inside real training steps of a benchmark
workload (a Sequential net) and reported as the minimum over the steps (the
least disturbed run of each part: on a shared machine, means mostly measure
the neighbours). Next to each layer with a GEMM: the time of its GEMMs alone
(numpy's BLAS on the same shapes, min of as many repeats; the first layer's
input-gradient product is left out, as the step skips it), i.e. what that
layer would cost with no data movement around its products.
"""
import argparse
import time

import numpy as np

import kubik
from kubik.layers import kernels

from .specs import SPECS
from .workloads import build


def gemm_seconds(m, n, k, repeats, skip_input_grad, channel_major):
    """Min time of a layer's forward product (m, k)(k, n) and its two backward ones,
    oriented as the layer computes them: Linear X Wᵀ, Gᵀ X, G W; Conv2d (channel-major
    columns) W cols, cols Gᵀ, Wᵀ G. Operands stay in cache: an optimistic floor."""
    rng = np.random.default_rng(0)
    r = lambda *shape: rng.standard_normal(shape, dtype=np.float32)
    if channel_major:
        W, C, G = r(n, k), r(k, m), r(n, m)
        products = [lambda: W @ C, lambda: C @ G.T] + ([] if skip_input_grad else [lambda: W.T @ G])
    else:
        X, W, G = r(m, k), r(n, k), r(m, n)
        products = [lambda: X @ W.T, lambda: G.T @ X] + ([] if skip_input_grad else [lambda: G @ W])
    total = 0.0
    for f in products:
        best = np.inf
        for _ in range(repeats):
            t = time.perf_counter()
            f()
            best = min(best, time.perf_counter() - t)
        total += best
    return total


def profile(name, steps):
    """{part: min seconds} over ``steps`` training steps of workload ``name``."""
    runner = build(SPECS[name])
    net, opt, loss = runner.parts
    seq = list(net)
    best = {}

    def timed(key, f, *args):
        t = time.perf_counter()
        out = f(*args)
        best[key] = min(best.get(key, np.inf), time.perf_counter() - t)
        return out
    for s in range(steps):
        X, target = runner.data[s % len(runner.data)]
        t0 = time.perf_counter()
        timed("zero_grad", opt.zero_grad)
        for i, layer in enumerate(seq):
            X = timed((i, "fwd"), layer.forward, X)
        timed("loss fwd", loss.forward, X, target)
        G = timed("loss bwd", loss.backward)
        for i in range(len(seq) - 1, -1, -1):
            G = timed((i, "bwd"), seq[i].backward, G)
        timed("optimizer", opt.step)
        best["step"] = min(best.get("step", np.inf), time.perf_counter() - t0)
    return seq, best


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.layers_profile", description=__doc__.split("\n\n")[1])
    p.add_argument("workload", nargs="?", default="lenet_b64", choices=[n for n in SPECS if SPECS[n].kind != "grad"])
    p.add_argument("--backend", choices=kernels.BACKENDS, default=None, help="default: KUBIK_BACKEND or numpy")
    p.add_argument("--steps", type=int, default=200, help="training steps timed (default 200)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    a = p.parse_args(argv)
    if a.steps < 1 or a.threads < 1:
        p.error("--steps and --threads must be >= 1")
    kubik.set_num_threads(a.threads)
    if a.backend:
        kubik.set_backend(a.backend)
    seq, best = profile(a.workload, a.steps)
    gemms = iter(SPECS[a.workload].gemms)
    ms = lambda s: f"{1e3 * s:8.3f}"
    print(f"{a.workload}, backend {kubik.get_backend()}, {a.threads} thread(s): ms, minimum over {a.steps} steps")
    print(f"{'layer':<24}{'forward':>8}{'backward':>9}{'GEMMs alone':>12}")
    first = True
    for i, layer in enumerate(seq):
        ideal = ""
        if layer.parameters() and type(layer).__name__ in ("Conv2d", "Linear"):
            m, n, k = next(gemms, (0, 0, 0))
            conv = type(layer).__name__ == "Conv2d"
            ideal = ms(gemm_seconds(m, n, k, min(a.steps, 50), first, conv)) if m else ""
            first = False
        print(f"{i:>2} {type(layer).__name__:<21}{ms(best[(i, 'fwd')])}{ms(best[(i, 'bwd')]):>9}{ideal:>12}")
    for key in ("loss fwd", "loss bwd", "zero_grad", "optimizer", "step"):
        print(f"   {key:<21}{ms(best[key])}")
    parts = sum(v for k, v in best.items() if k != "step")
    print(f"   {'sum of the parts':<21}{ms(parts)}")


if __name__ == "__main__":
    main()
