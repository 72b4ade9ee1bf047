"""Peak memory of one workload in one framework, in a process of its own:

    python -m benchmarks.memory {kubik|torch} WORKLOAD STEPS THREADS

imports only numpy and that framework, records the peak resident set size
(VmHWM, else ``ru_maxrss``) after the imports, then builds the workload, runs a warm-up
and STEPS steps and records the peak again; prints one JSON line (MB).
"""
import json
import resource
import sys


def rss_mb():
    """Peak RSS of this process so far, MB. VmHWM (Linux) belongs to this
    program's own address space; ru_maxrss would also count the parent's peak,
    which Linux carries over through fork and exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def main(argv):
    framework, name, steps, threads = argv[0], argv[1], int(argv[2]), int(argv[3])
    from .specs import SPECS
    spec = SPECS[name]
    if framework == "kubik":
        from . import workloads as impl
    elif framework == "torch":
        from . import torch_ref as impl
        impl.setup(threads)
    else:
        raise SystemExit(f"benchmarks.memory: framework must be kubik or torch, got {framework!r}")
    import_rss = rss_mb()
    runner = impl.build(spec)
    runner.run(2 + steps)
    out = {"import_rss_mb": import_rss, "peak_rss_mb": rss_mb(), "steps": 2 + steps}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
