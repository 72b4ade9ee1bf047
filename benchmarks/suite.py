"""Running the suite: one workload measured in kubik and (optionally) PyTorch,
interleaved in this process, plus its peak memory in fresh subprocesses."""
import statistics
import sys

from . import harness


def measure(spec, build_kubik, build_torch=None, steps=None, repeats=5, warmup=None, fraction=1.0,
            peak_gflops=None, memory_threads=None, memory_steps=20, settle=0.25):
    """Result dict of one workload. ``build_*(spec)`` return Runners (or raise);
    ``memory_threads`` None skips the peak-memory subprocesses."""
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
    if build_torch is not None:
        try:
            runners["torch"] = build_torch(spec)
        except Exception as e:
            res["torch_error"] = f"{type(e).__name__}: {e}"
    try:
        times = harness.interleaved(runners, steps, repeats, warmup, settle)
    except Exception as e:
        res["error"] = f"failed while running: {type(e).__name__}: {e}"
        return res
    for name, t in times.items():
        med = statistics.median(t)
        gflops = spec.flops_per_step / med / 1e9
        res[name] = {"ms": harness.summary([1e3 * x for x in t]), "gflops": gflops,
                     "roofline": gflops / peak_gflops if peak_gflops else None, "seconds_per_step": t}
    if "torch" in times:
        res["ratio"] = harness.summary([k / t for k, t in zip(times["kubik"], times["torch"])])
    if memory_threads is not None:
        mem = {fw: harness.peak_memory(fw, spec.name, min(steps, memory_steps), memory_threads) for fw in runners}
        k, t = mem.get("kubik", {}), mem.get("torch", {})
        if "peak_rss_mb" in k and "peak_rss_mb" in t:
            mem["ratio"] = k["peak_rss_mb"] / t["peak_rss_mb"]
            own_k, own_t = k["peak_rss_mb"] - k["import_rss_mb"], t["peak_rss_mb"] - t["import_rss_mb"]
            mem["ratio_workload"] = own_k / own_t if own_t > 0 else None
        res["memory"] = mem
    return res


def log(msg):
    print(msg, file=sys.stderr, flush=True)
