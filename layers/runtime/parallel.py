"""Sample-parallel layers: a batch's chunks of samples spread over kubik's threads.

Layers that already cut a batch into chunks of samples (Conv2d: im2col and
Winograd) hand the chunks to ``run(fn, count, chunk_bytes)``. With
``kubik.set_num_threads(n)``, n > 1, chunks of at least MIN_CHUNK_BYTES run
on n threads (the caller and n − 1 pool threads, each taking the next chunk
as it finishes one, each with its own work arrays): the compiled kernels and
numpy's large operations release the GIL. Meanwhile BLAS is held at one
thread per call, and best everywhere else too (``threads.blas_threads_for``):
after a GEMM on several threads OpenBLAS's worker spins for ~0.1 s on the
core a chunk needs (conv3x3 on two threads took 58-66 ms that way, slower
than on one; 33-34 ms with BLAS at one thread).

The split never changes results: the chunks are fixed by shapes alone, each
chunk writes only its own samples' outputs, and the parameter gradients that
all chunks add to go through ``OrderedSum``, which adds the chunks' partial
sums in chunk order, exactly as the serial loop does (bitwise equal). BLAS on
more threads may round differently by itself (OpenBLAS's Haswell kernels
do), so bitwise equality across thread counts needs the same BLAS threads.
"""
import contextlib
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

MIN_CHUNK_BYTES = 512 << 10   # smaller chunks stay serial: LeNet's conv1 (8 channels, 313 KB chunks)
                              # took 2.6-3.5 ms on two threads against 2.2-3.3 ms on one
_workers = 1
_blas = ((), 1)     # threadpoolctl controllers of the loaded BLAS libraries, their thread count
_pool = None
_local = threading.local()
_pinned = False               # inside one_blas_thread


def configure(n, blas=(), blas_threads=None):
    """Run chunks on ``n`` threads from now on; ``blas``: threadpoolctl library
    controllers to hold at one thread inside ``run``, and to restore to
    ``blas_threads`` (default n) afterwards."""
    global _workers, _blas, _pool
    if _pool is not None and n != _workers:
        _pool.shutdown(wait=True)
        _pool = None
    blas_threads = n if blas_threads is None else blas_threads
    _workers, _blas = n, (tuple(blas), blas_threads) if blas_threads > 1 else ((), 1)


def workers():
    """The threads ``run`` uses (1: serial)."""
    return _workers


def would_split(count, chunk_bytes, threads):
    """Whether ``count`` chunks of about ``chunk_bytes`` each are shared out among
    ``threads`` threads: more than one thread and chunk, chunks of at least
    MIN_CHUNK_BYTES."""
    return min(threads, count) > 1 and chunk_bytes >= MIN_CHUNK_BYTES


def active(count, chunk_bytes):
    """Whether ``run`` shares these chunks out now (``would_split`` with the
    configured workers, and not already inside a chunk)."""
    return would_split(count, chunk_bytes, _workers) and not getattr(_local, "inside", False)


def run(fn, count, chunk_bytes):
    """fn(k, slot) for every chunk k < count, slot < workers() naming the thread's
    own work arrays; ``chunk_bytes``: about what one chunk's work arrays hold.
    Serial (slot 0, k in order) unless ``active``; otherwise on the pool, BLAS
    at one thread. The first error (by chunk) is raised after every thread has
    stopped."""
    if not active(count, chunk_bytes):
        for k in range(count):
            fn(k, 0)
        return
    threads = min(_workers, count)
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(_workers - 1, "kubik", initializer=_mark_inside)
    taken, errors, failed = itertools.count(), [], threading.Event()

    def loop(slot):
        _local.failed = failed                   # what OrderedSum.parts watches while it waits
        for k in iter(taken.__next__, None):     # next() on a count is atomic under the GIL
            if k >= count or failed.is_set():
                return
            try:
                fn(k, slot)
            except BaseException as e:           # stop the others too, then re-raise in the caller
                errors.append((k, e))
                failed.set()
                return
    with one_blas_thread(count, chunk_bytes):
        _local.inside = True
        futures = []
        try:
            futures = [_pool.submit(loop, slot) for slot in range(1, threads)]
            loop(0)
            for f in futures:
                f.result()
        except BaseException as e:               # e.g. Ctrl-C while waiting: stop the pool's chunks too
            errors.append((-1, e))
            failed.set()
            wait(futures)                        # no chunk writes anything after run returns
        finally:
            _local.inside = False
            _local.failed = None
    if errors:
        raise min(errors, key=lambda e: e[0])[1]


def _mark_inside():
    _local.inside = True


@contextlib.contextmanager
def one_blas_thread(count, chunk_bytes):
    """BLAS at one thread inside, when ``run(fn, count, chunk_bytes)`` will be parallel.
    A layer wraps its whole call in it, small GEMMs outside ``run`` included: one
    multi-threaded GEMM leaves OpenBLAS's worker spinning for ~0.1 s on the core
    the chunks need (conv3x3 on two threads: 58 ms that way, 40 ms without)."""
    global _pinned
    if _pinned or not active(count, chunk_bytes):
        yield
        return
    _pinned = True
    libs, restore = _blas
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib in libs:
            lib.set_num_threads(restore)
        _pinned = False


class OrderedSum:
    """targets[i] += Σ_k part_k[i] with the parts added in chunk order k = 0, 1, …
    whatever order the chunks finish in: chunk k writes its parts into
    ``parts(k)`` (one array per target, shaped like it), then calls
    ``done(k)``; whoever completes the next chunk in order adds it. At most
    2·workers() parts are held at once (a chunk waits for a free one); one when
    not ``threaded`` (the chunks run serially, in order)."""

    def __init__(self, targets, dtype, threaded):
        self.targets = targets
        self._ring = 2 * _workers if threaded else 1
        self._parts = [[np.empty(t.shape, dtype) for t in targets] for _ in range(self._ring)]
        self._ready, self._next = set(), 0
        self._cond = threading.Condition()

    def parts(self, k):
        """The arrays chunk k writes its partial sums into (waits for a free slot)."""
        if self._ring > 1:
            with self._cond:
                failed = getattr(_local, "failed", None)     # set when another chunk of this run raised
                while k - self._next >= self._ring:
                    if failed is not None and failed.is_set():
                        raise RuntimeError(f"OrderedSum: chunk {self._next} failed; chunk {k} stops")
                    self._cond.wait(0.05)
        return self._parts[k % self._ring]

    def done(self, k):
        """Chunk k's parts are written: add every finished chunk that is next in order."""
        if self._ring == 1:
            self._add(k)
            self._next += 1
            return
        with self._cond:
            self._ready.add(k)
            while self._next in self._ready:
                self._ready.discard(self._next)
                self._add(self._next)
                self._next += 1
            self._cond.notify_all()

    def _add(self, k):
        for t, p in zip(self.targets, self._parts[k % self._ring]):
            t += p
