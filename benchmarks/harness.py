"""Measuring: interleaved timing, statistics, the GEMM roofline, BLAS threads,
peak memory in fresh subprocesses, and the table / JSON output."""
import gc
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


# -- threads ----------------------------------------------------------------------
def numpy_blas_threads():
    """(threads, how it was found) for numpy's own BLAS. Call before importing
    torch or scipy's BLAS so that no other pool is confused with numpy's."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        own = [i for i in blas if "numpy" in i.get("filepath", "")]  # numpy's bundled OpenBLAS
        if own or len(blas) == 1:
            info = (own or blas)[0]
            return info["num_threads"], f"threadpoolctl: numpy's {info['internal_api']} {info.get('version')}"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), f"environment {var} (threadpoolctl not installed)"
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return n, "usable CPU count, OpenBLAS's default (threadpoolctl not installed, no *_NUM_THREADS set)"


# -- timing -------------------------------------------------------------------------
def time_repeat(runner, steps):
    """Seconds per step for ``steps`` steps, garbage collector off (as timeit)."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        runner.run(steps)
        return (time.perf_counter() - t0) / steps
    finally:
        gc.enable()


def interleaved(runners, steps, repeats, warmup, settle=0.25):
    """Warm every runner up, then time them in turn (A B A B ...) ``repeats``
    times. Returns {name: [seconds per step, one per repeat]}.

    Before each timed repeat: ``settle`` seconds of sleep, then one untimed
    step. Each BLAS/OpenMP pool busy-waits for a while after its last call
    (OpenBLAS for up to ~0.1 s); without the pause the other framework's first
    steps compete with those spinning threads and were measured up to 20x slower.
    """
    for r in runners.values():
        r.run(warmup)
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, r in runners.items():
            if settle:
                time.sleep(settle)
            r.run(1)
            times[name].append(time_repeat(r, steps))
    return times


def summary(values):
    """Median, min, max and spread (max − min) / median of positive values."""
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "spread": (max(values) - min(values)) / med if med else 0.0}


def gemm_peak(n=1024, repeats=10, seconds=None):
    """Best and median GFLOP/s of an n³ float32 matmul (numpy's BLAS unless
    ``seconds`` — a function (n, repeats) -> list of times — says otherwise)."""
    if seconds is None:
        A = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
        B, C = A.T.copy(), np.empty((n, n), np.float32)
        np.matmul(A, B, out=C)

        def seconds(n, repeats):
            out = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                np.matmul(A, B, out=C)
                out.append(time.perf_counter() - t0)
            return out
    t = seconds(n, repeats)
    flops = 2.0 * n ** 3
    return {"n": n, "gflops_best": flops / min(t) / 1e9, "gflops_median": flops / statistics.median(t) / 1e9}


# -- memory --------------------------------------------------------------------------
def peak_memory(framework, workload, steps, threads, timeout=300):
    """Run ``workload`` in a fresh ``python -m benchmarks.memory`` subprocess that
    imports only ``framework``; returns its RSS figures (MB) or {"error": ...}."""
    cmd = [sys.executable, "-m", "benchmarks.memory", framework, workload, str(steps), str(threads)]
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if p.returncode:
        return {"error": (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])


# -- output ---------------------------------------------------------------------------
def _fmt(x, spec="{:.2f}", none="-"):
    return none if x is None else spec.format(x)


def table(rows, headers):
    """A plain fixed-width text table."""
    cells = [headers] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells[1:]])


def speed_table(results):
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["name"], "-", r["error"].split(":")[0]] + ["-"] * 5)
            continue
        k, t = r["kubik"], r.get("torch")
        ratio = r.get("ratio")
        rows.append([
            r["name"], f"{r['steps']}x{r['repeats']}",
            f"{k['ms']['median']:.3f} ±{100 * k['ms']['spread'] / 2:.0f}%",
            f"{k['gflops']:.1f} ({100 * k['roofline']:.0f}%)",
            f"{t['ms']['median']:.3f} ±{100 * t['ms']['spread'] / 2:.0f}%" if t else "-",
            f"{t['gflops']:.1f} ({100 * t['roofline']:.0f}%)" if t else "-",
            f"{ratio['median']:.2f} [{ratio['min']:.2f}-{ratio['max']:.2f}]" if ratio else "-",
            (f"<= {r['target']}" + (" ok" if ratio and ratio["median"] <= r["target"] else " MISSED" if ratio else ""))])
    notes = [f"{r['name']}: {r['error']}" for r in results if "error" in r]
    notes += [f"{r['name']}: torch failed: {r['torch_error']}" for r in results if "torch_error" in r]
    return table(rows, ["workload", "steps x rep", "kubik ms/step", "GFLOP/s (roof)", "torch ms/step",
                        "GFLOP/s (roof)", "kubik/torch [min-max]", "target"]) + "".join("\n  " + n for n in notes)


def memory_table(results, target):
    rows = []
    for r in results:
        m = r.get("memory")
        if not m:
            continue
        k, t = m.get("kubik", {}), m.get("torch", {})
        row = [r["name"]]
        for fw in (k, t):
            row += [fw.get("error", "")[:40] or f"{fw['peak_rss_mb']:.0f}",
                    "" if "error" in fw else f"{fw['import_rss_mb']:.0f}",
                    "" if "error" in fw else f"{fw['peak_rss_mb'] - fw['import_rss_mb']:.0f}"] if fw else ["-", "-", "-"]
        ratio, own = m.get("ratio"), m.get("ratio_workload")
        row += [_fmt(ratio), _fmt(own),
                "" if ratio is None else f"<= {target}" + (" ok" if ratio <= target else " MISSED")]
        rows.append(row)
    return table(rows, ["workload", "kubik peak MB", "imports", "workload", "torch peak MB", "imports",
                        "workload", "peak ratio", "workload ratio", "target"])


def write_json(report, path):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path
