"""The compute backend: numpy (the default and the reference) or numba
(``pip install "kubik[fast]"``): serial compiled loops for im2col/col2im, the Winograd transforms,
2x2 max pooling, ReLU, the LSTM's backward step and the fused SGD/Adam(W)/RMSprop/Adagrad updates, equal to the numpy path
(bitwise where the operation order is the same, which it is for all of them).

    kubik.set_backend("numba")      # or KUBIK_BACKEND=numba in the environment
    kubik.get_backend()             # "numpy" or "numba"

``import kubik`` never imports numba: the kernel modules are imported, and each
kernel compiled (``cache=True``: once per machine, then loaded from
``__pycache__``), on first use. Kernels are serial on purpose: OpenBLAS's
worker threads spin on the other cores after every GEMM, and a second pool
next to them (numba ``parallel=True``) was 2.5-13x slower. Several threads come
from Conv2d splitting its chunks of samples instead (``layers.runtime.parallel``).

Layers ask ``kernel("name")``: the compiled function, or None on the numpy
path (then they run their numpy code).
"""
import importlib
import os
import warnings

BACKENDS = ("numpy", "numba")
_MODULES = {"im2col": "conv_kernels", "col2im": "conv_kernels",
            "maxpool2x2": "pool_kernels", "maxpool2x2_backward": "pool_kernels",
            "maxpool2x2_planes": "pool_kernels", "maxpool2x2_planes_backward": "pool_kernels",
            "relu": "relu_kernels", "relu_backward": "relu_kernels",
            "sgd": "optim_kernels", "adam": "optim_kernels", "rmsprop": "optim_kernels",
            "adagrad": "optim_kernels", "lstm_backward_step": "lstm_kernels",
            "lstm_cell_step": "lstm_kernels", "winograd_input": "winograd_kernels",
            "winograd_output": "winograd_kernels", "winograd_output_grad": "winograd_grad_kernels",
            "winograd_input_grad": "winograd_grad_kernels"}
_backend = None
_cache = {}


def _numba_available():
    return importlib.util.find_spec("numba") is not None


def set_backend(name):
    """Choose "numpy" (reference, default) or "numba" (compiled kernels; needs
    ``pip install "kubik[fast]"``). Returns the previous backend."""
    global _backend
    if name not in BACKENDS:
        raise ValueError(f"set_backend: backend must be one of {', '.join(BACKENDS)}, got {name!r}")
    if name == "numba" and not _numba_available():
        raise ImportError('set_backend("numba") needs numba: pip install "kubik[fast]" (or pip install numba)')
    previous = get_backend()
    _backend = name
    return previous


def get_backend():
    """The current backend; the first call reads KUBIK_BACKEND (default numpy).
    KUBIK_BACKEND=numba without numba installed warns and uses numpy."""
    global _backend
    if _backend is None:
        name = os.environ.get("KUBIK_BACKEND", "numpy").strip().lower() or "numpy"
        if name not in BACKENDS:
            raise ValueError(f"KUBIK_BACKEND must be one of {', '.join(BACKENDS)}, got {name!r}")
        if name == "numba" and not _numba_available():
            warnings.warn('KUBIK_BACKEND=numba but numba is not installed (pip install "kubik[fast]"); using numpy',
                          RuntimeWarning, stacklevel=2)
            name = "numpy"
        _backend = name
    return _backend


def kernel(name):
    """The compiled kernel ``name`` on the numba backend, else None."""
    if (_backend or get_backend()) != "numba":
        return None
    fn = _cache.get(name)
    if fn is None:
        module = importlib.import_module(f".{_MODULES[name]}", __name__)
        fn = _cache[name] = getattr(module, name)
    return fn
