"""python -m benchmarks.distributed [--ranks 1 2 4] [--steps 40] [--warmup 5] [--blas-threads T]

Data-parallel scaling of the 784-512-256-10 MLP (float32, SGD with momentum)
at a global batch of 256: for each number of ranks it runs itself under
``mpirun -n N`` (one process for N = 1), one BLAS thread per rank, and times
training steps the way the Trainer takes them (each rank its contiguous share
of the global batch, its loss gradient weighted by its share, the loss/count/
flag allreduce, the one-buffer gradient allreduce, the update), then a bare
in-place allreduce of the 2 MiB gradient buffer.

Printed per N: step time (median over steps, of the slowest rank), the
allreduce time inside the step, the bare allreduce time and its bandwidth
(bytes / time), speedup T1/TN and scaling efficiency T1/(N·TN) (over N·T
cores for the row of one process with T BLAS threads). Figures depend
on the machine: ranks busy-wait, so more ranks than free cores is slow.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def worker(steps, warmup):
    from kubik import layers, losses, nets, optim
    from kubik.nets import distributed as dist
    comm = dist.world()
    dp = dist.DataParallel(comm)
    layers.seed(0)
    L = layers
    net = nets.Sequential(L.Linear(784, 512), L.ReLU(), L.Linear(512, 256), L.ReLU(), L.Linear(256, 10))
    opt = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss = losses.CrossEntropy()
    dp.start(net, opt)
    rng = np.random.default_rng(1)
    B = 256
    X = rng.standard_normal((B, 784)).astype(np.float32)
    y = rng.integers(0, 10, B)
    step_t, reduce_t = [], []
    for i in range(warmup + steps):
        comm.barrier()
        t0 = time.perf_counter()
        xb, yb = dp.local(X, y)
        value = loss.forward(net.forward(xb), yb)
        dp.sync_batch(value, len(yb), False)
        grad = loss.backward()
        if comm.size > 1:
            grad *= len(yb) / B
        net.backward(grad)
        t1 = time.perf_counter()
        dp.reduce_gradients(opt)
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad()
        t3 = time.perf_counter()
        if i >= warmup:
            step_t.append(t3 - t0)
            reduce_t.append(t2 - t1)
    buf = np.ones(sum(p.size for p in net.parameters()), np.float32)
    bare = []
    for i in range(warmup + steps):
        comm.barrier()
        t0 = time.perf_counter()
        comm.allreduce(buf)
        if i >= warmup:
            bare.append(time.perf_counter() - t0)
    mine = np.array([np.median(step_t), np.median(reduce_t), np.median(bare)])
    slowest = mine.copy()
    if comm.size > 1:       # the slowest rank sets the pace: max over ranks by a sum of one-hot slots
        slots = np.zeros(3 * comm.size)
        slots[3 * comm.rank:3 * comm.rank + 3] = mine
        slowest = comm.allreduce(slots).reshape(comm.size, 3).max(0)
    if comm.is_root:
        print(json.dumps({"ranks": comm.size, "step": slowest[0], "reduce": slowest[1], "bare": slowest[2],
                          "bytes": int(buf.nbytes)}), flush=True)


def _mpirun():
    here = Path(sys.executable).parent / "mpirun"
    return str(here) if here.exists() else shutil.which("mpirun")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__.split("\n\n")[1])
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--blas-threads", type=int, default=0, metavar="T",
                   help="also time one process with T BLAS threads (the alternative on one machine)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        return worker(a.steps, a.warmup)
    if any(n > 1 for n in a.ranks) and not _mpirun():
        p.error('mpirun not found: pip install -e ".[mpi]"')
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = []
    runs = [(n, 1) for n in a.ranks] + ([(1, a.blas_threads)] if a.blas_threads > 1 else [])
    for n, threads in runs:
        cmd = [sys.executable, "-m", "benchmarks.distributed", "--worker", "--steps", str(a.steps),
               "--warmup", str(a.warmup)]
        cmd = ([_mpirun(), "-n", str(n)] + cmd) if n > 1 else cmd
        t = str(threads)
        out = subprocess.run(cmd, env=dict(env, OPENBLAS_NUM_THREADS=t, OMP_NUM_THREADS=t, MKL_NUM_THREADS=t),
                             cwd=ROOT, capture_output=True, text=True, timeout=600)
        if out.returncode:
            print(out.stdout, out.stderr, file=sys.stderr)
            return out.returncode
        rows.append(dict(json.loads(out.stdout.strip().splitlines()[-1]), threads=threads))
    print(f"784-512-256-10 MLP, float32, global batch 256, one BLAS thread per rank, {os.cpu_count()} CPUs, "
          f"median of {a.steps} steps")
    print(f"{'ranks':>5} {'threads':>7} {'per rank':>8} {'step ms':>8} {'in-step allreduce ms':>21} {'bare allreduce ms':>18} "
          f"{'GB/s':>6} {'speedup':>8} {'efficiency':>10}")
    t1 = next((r["step"] for r in rows if r["ranks"] == 1 and r["threads"] == 1), None)
    for r in rows:
        n = r["ranks"]
        gbs = r["bytes"] / r["bare"] / 1e9 if n > 1 and r["bare"] > 0 else float("nan")
        speed = t1 / r["step"] if t1 else float("nan")
        print(f"{n:>5} {r['threads']:>7} {256 // n:>8} {1e3 * r['step']:>8.2f} {1e3 * r['reduce']:>21.2f} {1e3 * r['bare']:>18.3f} "
              f"{gbs:>6.2f} {speed:>8.2f} {speed / (n * r['threads']):>10.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
