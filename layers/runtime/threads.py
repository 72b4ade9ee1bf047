"""Thread counts: ``kubik.set_num_threads(n)`` for BLAS (through threadpoolctl)
and the compiled kernels, and the default chosen by model size.

OpenBLAS starts one thread per core. On small models every GEMM then pays a
wake-up of the other threads, and after each GEMM they spin for up to ~0.1 s
on the other cores, which on a busy machine (or with several processes) turns
into whole lost cores: ``digits_cnn`` took 115 s with the default and 11 s with
one thread. Big GEMMs do gain (two threads: 1.4x on the batch-128 MLP).

``auto_threads(num_parameters)``: 1 below ``AUTO_MIN_PARAMETERS`` trainable
parameters, else every idle core (``os.cpu_count()`` minus the load
average), capped by OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS
when set. The crossover was measured
with ``python -m benchmarks --threads 1,2`` (docs/guide/benchmarks.md).
"""
import os

from . import parallel

AUTO_MIN_PARAMETERS = 100_000

_current = None


def set_num_threads(n, blas=None):
    """Use ``n`` threads, process-wide, from now on: for the chunks of
    sample-parallel layers (``layers.runtime.parallel``: Conv2d splits its batch; the
    split never changes results; the compiled kernels themselves are serial)
    and, unless ``blas`` says
    otherwise, for BLAS (numpy's and scipy's OpenBLAS/MKL/BLIS). A net whose
    convolutions split its batches runs best with ``blas=1``
    (``blas_threads_for``; the trainer does this). Returns ``n``."""
    for name, v in (("n", n), ("blas", n if blas is None else blas)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"set_num_threads: {name} must be an integer >= 1, got {v!r}")
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:             # a runtime dependency, but say what to do
        raise ImportError("kubik.set_num_threads needs threadpoolctl: pip install threadpoolctl") from None
    blas = n if blas is None else blas
    libs = ThreadpoolController().select(user_api="blas").lib_controllers
    for lib in libs:
        lib.set_num_threads(blas)
    parallel.configure(n, libs, blas)
    # numba's own pool is left alone: the kernels are serial, and numba.set_num_threads
    # launches its OpenMP layer, which sets libgomp's thread count for everyone: torch,
    # set to one thread beside it, then ran on both cores (cpu/wall 1.45)
    global _current
    _current = n
    return n


def get_num_threads():
    """The thread count last given to ``set_num_threads``; before any call, the
    BLAS thread count (the largest over the loaded BLAS libraries)."""
    if _current is not None:
        return _current
    from threadpoolctl import threadpool_info
    counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(counts) if counts else 1


def configured():
    """The thread count last given to ``set_num_threads``, or None before any call."""
    return _current


def blas_threads_for(net, n, input_shape=None, batch_size=None):
    """BLAS threads for training ``net`` on ``n`` threads: 1 when a layer of it will
    split its samples between kubik's threads, else n. With ``input_shape`` (per
    sample) and ``batch_size``, a layer with ``splits_samples`` (Conv2d, Conv1d)
    is asked whether it splits batches of that size (``splits``); without them,
    having such a layer is enough.

    The two pools don't mix: after a GEMM on several threads, OpenBLAS's
    workers spin for ~0.1 s on the cores the chunks need. A small CNN on two
    threads (three 3x3 convs, batch 64, compiled kernels): 75 ms a step this
    way, 94-106 ms with BLAS on two threads, 103 ms on one thread. LeNet at
    batch 64, whose convolutions are too small to split, keeps BLAS's threads
    (6.3 ms a step; 6.9 ms with BLAS at one thread)."""
    if n <= 1:
        return n
    if input_shape is None or batch_size is None:
        return 1 if _has_splitting_layer(net) else n
    try:
        return 1 if _splits(net, tuple(input_shape), batch_size, n) else n
    except (ValueError, TypeError):    # a shape the net rejects: decide by its layers alone
        return 1 if _has_splitting_layer(net) else n


def _has_splitting_layer(layer):
    return getattr(layer, "splits_samples", False) or any(_has_splitting_layer(c) for c in _children(layer))


def _splits(layer, shape, batch, n):
    """Whether ``layer`` (or a layer inside it) splits a batch of ``shape`` samples."""
    if getattr(layer, "splits_samples", False):
        return layer.splits(shape, batch, n)
    if hasattr(layer, "__iter__"):      # Sequential: each child takes the previous child's output
        for child in layer:
            if _splits(child, shape, batch, n):
                return True
            shape = tuple(child.output_shape(shape))
        return False
    return any(_splits(c, shape, batch, n) for c in _children(layer))   # Residual, Concat: all take the input


def _children(layer):
    return layer.children() if hasattr(layer, "children") else ()


_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def env_limit():
    """The smallest thread count set in OPENBLAS/OMP/MKL_NUM_THREADS, or None."""
    counts = [int(v) for v in (os.environ.get(k, "").strip() for k in _ENV) if v.isdigit() and int(v) > 0]
    return min(counts) if counts else None


def idle_cores():
    """Cores not already busy: the CPU count minus the 1-minute load average
    (at least 1; the CPU count where the load average is unknown)."""
    cores = max(1, os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return max(1, min(cores, int(cores - load + 0.5)))


def auto_threads(num_parameters):
    """The default thread count for a model with this many parameters: 1 below
    AUTO_MIN_PARAMETERS, else every idle core (CPU count minus the load
    average: on a busy machine a second BLAS thread made steps 5-14x slower),
    never more than an environment limit (OPENBLAS_NUM_THREADS etc.)."""
    n = 1 if num_parameters < AUTO_MIN_PARAMETERS else idle_cores()
    limit = env_limit()
    return min(n, limit) if limit else n


def resolve_threads(setting, num_parameters, where="train.threads"):
    """``setting`` ("auto" or an integer >= 1) -> the thread count to use."""
    if setting == "auto":
        return auto_threads(num_parameters)
    if isinstance(setting, bool) or not isinstance(setting, int) or setting < 1:
        raise ValueError(f"{where}: must be an integer >= 1 or 'auto', got {setting!r}")
    return setting
