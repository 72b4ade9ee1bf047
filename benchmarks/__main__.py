"""python -m benchmarks [WORKLOAD ...] [--repeats N] [--quick] [--json PATH] ...

Times each workload in kubik and, when importable, PyTorch (interleaved, same
process), measures peak memory in fresh subprocesses, prints two tables and
writes everything to a JSON file (see docs/guide/benchmarks.md).
"""
import argparse
import datetime
import importlib.util
import platform
import subprocess
import sys

import numpy as np

from . import harness
from .specs import MEMORY_TARGET, SPECS
from .suite import log, measure


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    p.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                   help=f"workloads to run (default: all): {', '.join(SPECS)}")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per framework (default 5)")
    p.add_argument("--fraction", type=float, default=0.25,
                   help="fraction of an epoch timed per repeat (default 0.25; 1 = whole epoch)")
    p.add_argument("--steps", type=int, help="exact steps per repeat for every workload (overrides --fraction)")
    p.add_argument("--quick", action="store_true", help="short run: --fraction 0.05, shorter memory runs")
    p.add_argument("--settle", type=float, default=0.25, metavar="SECONDS",
                   help="pause before each timed repeat so the other framework's threads stop spinning (default 0.25)")
    p.add_argument("--no-torch", action="store_true", help="kubik only, even if torch is importable")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--no-fast", action="store_true", help="skip the kubik [fast] (numba) column even if numba is installed")
    p.add_argument("--threads", type=int, metavar="N",
                   help="BLAS threads for kubik (kubik.set_num_threads) and torch (default: as the environment sets)")
    p.add_argument("--busy-cores", type=float, default=0.3, metavar="CORES",
                   help="a round is busy when other processes used more than this many cores (default 0.3)")
    p.add_argument("--json", metavar="PATH",
                   help="where to write the JSON report (default benchmarks/results/bench-<time>.json)")
    a = p.parse_args(argv)
    unknown = [w for w in a.workloads if w not in SPECS]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(SPECS)}")
    if a.threads is not None and a.threads < 1:
        p.error(f"--threads must be >= 1, got {a.threads}")
    if a.repeats < 1 or (a.steps is not None and a.steps < 1) or not 0 < a.fraction <= 1 or a.settle < 0:
        p.error("--repeats and --steps must be >= 1, --fraction in (0, 1], --settle >= 0")
    if a.quick:
        a.fraction = min(a.fraction, 0.05)
    return a


def _numba_version():
    import numba
    return numba.__version__


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=harness.ROOT,
                              capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        return platform.processor() or None


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    threads, how = harness.numpy_blas_threads()  # before scipy's or torch's pools load
    kernels = harness.numpy_blas_kernels()
    if a.threads is not None:
        import kubik
        kubik.set_num_threads(a.threads)
        threads, how = a.threads, "--threads (kubik.set_num_threads)"
    torch_ref = None
    if not a.no_torch and importlib.util.find_spec("torch") is not None:
        from . import torch_ref
        torch_ref.setup(threads)
    from . import workloads  # kubik (imports scipy)
    from .suite import fast_available
    if a.threads is not None:
        import kubik
        kubik.set_num_threads(a.threads)  # scipy's BLAS, loaded since, too
    fast = not a.no_fast and fast_available()

    env = {"python": platform.python_version(), "numpy": np.__version__, "cpu": cpu_model(),
           "blas_threads": threads, "blas_threads_from": how, "blas_kernels": kernels, "kubik_commit": git_commit(),
           "torch": torch_ref.torch.__version__ if torch_ref else None,
           "torch_threads": torch_ref.torch.get_num_threads() if torch_ref else None,
           "fast_path": fast, "numba": _numba_version() if fast else None}
    log(f"numpy BLAS threads: {threads} ({how}); torch: "
        + (f"{env['torch']}, set_num_threads({threads})" if torch_ref else "not used"))
    peaks = {"numpy": harness.gemm_peak()}
    if torch_ref:
        peaks["torch"] = harness.gemm_peak(seconds=torch_ref.gemm_seconds)
    peak = max(p["gflops_best"] for p in peaks.values())
    log("float32 GEMM 1024^3 peak: " + ", ".join(f"{k} {v['gflops_best']:.1f} GFLOP/s" for k, v in peaks.items()))

    results = []
    for name in a.workloads or list(SPECS):
        log(f"running {name} ...")
        results.append(measure(SPECS[name], workloads.build, torch_ref.build if torch_ref else None,
                               steps=a.steps, repeats=a.repeats, fraction=a.fraction, peak_gflops=peak,
                               memory_threads=None if a.no_memory else threads,
                               memory_steps=5 if a.quick else 20, settle=a.settle, fast=fast,
                               busy_cores=a.busy_cores))

    print(f"\nfloat32 GEMM roofline (1024^3, best of 10): {peak:.1f} GFLOP/s; "
          f"BLAS threads {threads} ({how}); numpy's BLAS: {kernels}\n")
    print(harness.speed_table(results))
    print(f"\nratios: per-round medians [min-max] over quiet rounds only (other processes used at most "
          f"{a.busy_cores} cores, from /proc/stat); BUSY: no quiet round, all rounds used")
    for line in harness.over_threads(results, threads):
        print(f"WARNING: {line}")
    if not a.no_memory:
        print("\npeak resident memory (MB, fresh subprocess per framework and workload)\n")
        print(harness.memory_table(results, MEMORY_TARGET))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = a.json or harness.ROOT / "benchmarks" / "results" / f"bench-{stamp}.json"
    report = {"time": stamp, "options": vars(a), "environment": env, "gemm_peak": peaks,
              "roofline_gflops": peak, "memory_target": MEMORY_TARGET, "workloads": results}
    print(f"\nJSON written to {harness.write_json(report, path)}")
    return report


if __name__ == "__main__":
    main()
