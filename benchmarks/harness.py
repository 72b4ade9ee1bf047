"""Measuring: interleaved timing, statistics, the GEMM roofline, BLAS threads,
peak memory in fresh subprocesses, the table / JSON output, and the command-line
pieces the single-purpose benchmarks (losses, optimizers, lbfgs) share."""
import argparse
import datetime
import importlib.util
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


def numpy_blas_kernels():
    """Which kernels numpy's BLAS runs, e.g. "OpenBLAS 0.3.31, Haswell kernels
    (OPENBLAS_CORETYPE=Haswell)": a CORETYPE set in the environment can hold an
    AVX-512 CPU to AVX2 kernels (half the GEMM speed), while torch picks its own."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    own = [i for i in blas if "numpy" in i.get("filepath", "")] or blas[:1]
    if not own:
        return None
    info, forced = own[0], os.environ.get("OPENBLAS_CORETYPE")
    text = f"{info['internal_api']} {info.get('version')}"
    if info.get("architecture"):
        text += f", {info['architecture']} kernels"
    return text + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")


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


def cpu_jiffies():
    """(busy, total) CPU time of the whole machine from /proc/stat, in seconds
    (None off Linux). Busy counts user, nice, system, irq, softirq and steal."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    busy = sum(fields[i] for i in (0, 1, 2, 5, 6, 7) if i < len(fields))
    return busy / hz, sum(fields[:8]) / hz


def own_cpu():
    """CPU seconds used by this process (all its threads: BLAS pools included)."""
    t = os.times()
    return t.user + t.system


def interleaved(runners, steps, repeats, warmup, settle=0.25, busy_cores=0.3):
    """Warm every runner up, then time them in turn (A B C A B C ...) ``repeats``
    times. Returns ({name: [seconds per step, one per repeat]}, rounds), where
    ``rounds[i]`` says how much CPU other processes used during round i
    (``other_cores``: their CPU seconds per wall second, from /proc/stat minus
    this process's own CPU time) and whether that makes the round ``busy``
    (more than ``busy_cores``); ratios are quoted from quiet rounds only.

    Before each timed repeat: ``settle`` seconds of sleep, then one untimed
    step. Each BLAS/OpenMP pool busy-waits for a while after its last call
    (OpenBLAS for up to ~0.1 s); without the pause the other framework's first
    steps compete with those spinning threads and were measured up to 20x slower.
    """
    for r in runners.values():
        r.run(warmup)
    times = {name: [] for name in runners}
    rounds = []
    for _ in range(repeats):
        other = wall = 0.0
        own = {}
        for name, r in runners.items():
            if settle:
                time.sleep(settle)
            r.run(1)
            j0, c0, w0 = cpu_jiffies(), own_cpu(), time.perf_counter()
            times[name].append(time_repeat(r, steps))
            j1, c1, w1 = cpu_jiffies(), own_cpu(), time.perf_counter()
            wall += w1 - w0
            own[name] = (c1 - c0) / (w1 - w0) if w1 > w0 else None
            if j0 and j1:
                other += max(0.0, (j1[0] - j0[0]) - (c1 - c0))
        measured = cpu_jiffies() is not None
        cores = other / wall if wall and measured else None
        rounds.append({"other_cores": cores, "busy": bool(cores is not None and cores > busy_cores), "own_cores": own})
    return times, rounds


def over_threads(results, threads, slack=0.3):
    """Lines naming each workload and framework whose median CPU use (cores: CPU
    seconds per wall second) exceeded ``threads`` + ``slack``: a pool that ignored
    its thread limit (as torch's OpenMP did once numba had set libgomp's count)."""
    lines = []
    for res in results:
        by_name = {}
        for rnd in res.get("rounds", []):
            for name, cores in (rnd.get("own_cores") or {}).items():
                if cores is not None:
                    by_name.setdefault(name, []).append(cores)
        for name, values in by_name.items():
            med = statistics.median(values)
            if med > threads + slack:
                lines.append(f"{res['name']}: {name} used {med:.2f} cores (median) with {threads} thread(s) set")
    return lines


def ratios(num, den, rounds):
    """Per-round ratios num/den: summary over quiet rounds (all rounds, marked
    ``busy_only``, when none was quiet)."""
    pairs = [(a / b, r["busy"]) for a, b, r in zip(num, den, rounds)]
    quiet = [x for x, busy in pairs if not busy]
    out = summary(quiet or [x for x, _ in pairs])
    out.update(quiet_rounds=len(quiet), rounds=len(pairs), busy_only=not quiet)
    return out


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


def _ms(x):
    return f"{x['ms']['median']:.3f} ±{100 * x['ms']['spread'] / 2:.0f}%" if x else "-"


def _ratio(r):
    if not r:
        return "-"
    s = f"{r['median']:.2f} [{r['min']:.2f}-{r['max']:.2f}]"
    return s + (" BUSY" if r.get("busy_only") else "")


def speed_table(results):
    """workload | torch ms | kubik numpy ms | kubik fast ms | ratios (quiet rounds) | target."""
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["name"], "-", r["error"].split(":")[0]] + ["-"] * 7)
            continue
        k, f, t = r["kubik"], r.get("kubik_fast"), r.get("torch")
        best = min(x["median"] for x in (r.get("ratio"), r.get("ratio_fast")) if x) \
            if r.get("ratio") or r.get("ratio_fast") else None
        quiet = r.get("rounds_quiet")
        rows.append([
            r["name"], f"{r['steps']}x{r['repeats']}", _ms(t), _ms(k), _ms(f),
            f"{k['gflops']:.1f} ({100 * k['roofline']:.0f}%)" if k.get("roofline") is not None else "-",
            _ratio(r.get("ratio")), _ratio(r.get("ratio_fast")),
            "-" if quiet is None else f"{quiet}/{r['repeats']}",
            f"<= {r['target']}" + ("" if best is None else " ok" if best <= r["target"] else " MISSED")])
    notes = [f"{r['name']}: {r['error']}" for r in results if "error" in r]
    notes += [f"{r['name']}: torch failed: {r['torch_error']}" for r in results if "torch_error" in r]
    notes += [f"{r['name']}: fast path failed: {r['fast_error']}" for r in results if "fast_error" in r]
    return table(rows, ["workload", "steps x rep", "torch ms", "kubik numpy ms", "kubik fast ms",
                        "numpy GFLOP/s (roof)", "numpy/torch [min-max]", "fast/torch [min-max]",
                        "quiet rounds", "target"]) + "".join("\n  " + n for n in notes)


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


def save_results(kind, options, results, path=None):
    """Write {time, options, results} as JSON to ``path`` (default
    benchmarks/results/<kind>-<time>.json) and print where; returns the path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = path or ROOT / "benchmarks" / "results" / f"{kind}-{stamp}.json"
    path = write_json({"time": stamp, "options": vars(options), "results": results}, path)
    print(f"\nJSON written to {path}")
    return path


def write_json(report, path):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path


# -- the small benchmarks' command lines ------------------------------------------------
def parser(prog, doc, names, what):
    """An ArgumentParser with the options every small benchmark takes: the names to
    time (default all of ``names``), --threads, --no-torch, --json."""
    p = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[1])
    p.add_argument("names", nargs="*", metavar=what.upper(), help=f"default: all of {', '.join(names)}")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (kubik.set_num_threads; default 1)")
    p.add_argument("--no-torch", action="store_true", help="kubik only")
    p.add_argument("--json", metavar="PATH", help="where to write the report (default benchmarks/results/)")
    return p


def parse_checked(p, argv, names, what, positive):
    """Parse ``argv``; refuse unknown names and options in ``positive`` below 1 (p.error, exit 2)."""
    a = p.parse_args(argv)
    unknown = [n for n in a.names if n not in names]
    if unknown:
        p.error(f"unknown {what} {', '.join(map(repr, unknown))}; choose from {', '.join(names)}")
    values = {k: getattr(a, k) for k in positive}
    low = [f"--{k.replace('_', '-')}" for k, v in values.items()
           if v is not None and min(v if isinstance(v, list) else [v]) < 1]
    if low:
        p.error(f"{', '.join(low)} must be >= 1")
    return a


def start(a):
    """Set kubik's (and torch's, when it is timed) threads; True when torch is timed."""
    import kubik
    kubik.set_num_threads(a.threads)
    torch_ok = not a.no_torch and importlib.util.find_spec("torch") is not None
    if torch_ok:
        import torch
        torch.set_num_threads(a.threads)
    return torch_ok
