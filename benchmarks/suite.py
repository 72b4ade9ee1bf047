"""Running the suite: one workload measured in kubik and (optionally) PyTorch,
interleaved in this process, plus its peak memory in fresh subprocesses."""
import importlib.util
import statistics
import sys

from . import harness


class Backend:
    """A kubik Runner that runs on one compute backend (numpy or numba):
    the backend is global, so it is switched before every timed run."""

    def __init__(self, runner, name):
        self.runner, self.name = runner, name

    def run(self, steps):
        from kubik.layers import kernels
        previous = kernels.set_backend(self.name)
        try:
            self.runner.run(steps)
        finally:
            kernels.set_backend(previous)


def fast_available():
    """Whether the [fast] (numba) path can run here."""
    return importlib.util.find_spec("numba") is not None


def measure(spec, build_kubik, build_torch=None, steps=None, repeats=5, warmup=None, fraction=1.0,
            peak_gflops=None, memory_threads=None, memory_steps=20, settle=0.25, fast=False, busy_cores=0.3):
    """Result dict of one workload. ``build_*(spec)`` return Runners (or raise);
    ``fast`` also times kubik on the numba backend; ``memory_threads`` None
    skips the peak-memory subprocesses. Ratios come from quiet rounds only
    (see harness.interleaved)."""
    steps = steps or spec.steps_per_repeat(fraction)
    warmup = max(2, steps // 10) if warmup is None else warmup
    res = {"name": spec.name, "description": spec.description, "steps": steps, "repeats": repeats,
           "warmup": warmup, "settle_s": settle, "flops_per_step": spec.flops_per_step, "target": spec.target}
    runners = {}
    try:
        runners["kubik"] = build_kubik(spec)
    except Exception as e:  # a missing or broken layer must not stop the suite
        res["error"] = f"unavailable: {e}" if type(e).__name__ == "Unavailable" else f"kubik failed: {type(e).__name__}: {e}"
        return res
    if fast:
        runners["kubik"] = Backend(runners["kubik"], "numpy")
        try:
            runners["kubik_fast"] = Backend(build_kubik(spec), "numba")
            runners["kubik_fast"].run(1)        # compiles (or loads) the kernels outside the timing
        except Exception as e:
            runners.pop("kubik_fast", None)
            res["fast_error"] = f"{type(e).__name__}: {e}"
    if build_torch is not None:
        try:
            runners["torch"] = build_torch(spec)
        except Exception as e:
            res["torch_error"] = f"{type(e).__name__}: {e}"
    try:
        times, rounds = harness.interleaved(runners, steps, repeats, warmup, settle, busy_cores)
    except Exception as e:
        res["error"] = f"failed while running: {type(e).__name__}: {e}"
        return res
    res["rounds"] = rounds
    res["rounds_quiet"] = sum(not r["busy"] for r in rounds)
    for name, t in times.items():
        med = statistics.median(t)
        gflops = spec.flops_per_step / med / 1e9
        res[name] = {"ms": harness.summary([1e3 * x for x in t]), "gflops": gflops,
                     "roofline": gflops / peak_gflops if peak_gflops else None, "seconds_per_step": t}
    if "torch" in times:
        res["ratio"] = harness.ratios(times["kubik"], times["torch"], rounds)
        if "kubik_fast" in times:
            res["ratio_fast"] = harness.ratios(times["kubik_fast"], times["torch"], rounds)
    if "kubik_fast" in times:
        res["fast_vs_numpy"] = harness.ratios(times["kubik_fast"], times["kubik"], rounds)
    if memory_threads is not None:
        mem = {fw: harness.peak_memory(fw, spec.name, min(steps, memory_steps), memory_threads)
               for fw in runners if fw in ("kubik", "torch")}
        k, t = mem.get("kubik", {}), mem.get("torch", {})
        if "peak_rss_mb" in k and "peak_rss_mb" in t:
            mem["ratio"] = k["peak_rss_mb"] / t["peak_rss_mb"]
            own_k, own_t = k["peak_rss_mb"] - k["import_rss_mb"], t["peak_rss_mb"] - t["import_rss_mb"]
            mem["ratio_workload"] = own_k / own_t if own_t > 0 else None
        res["memory"] = mem
    return res


def log(msg):
    print(msg, file=sys.stderr, flush=True)
