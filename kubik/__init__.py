"""kubik: a modular neural-network framework in the Torch7 / Caffe tradition, on numpy.

    from kubik import layers, losses, optim, nets

    layers   the Layer/Parameter contract, the layers, the registry, gradcheck
    losses   the Loss contract and the losses
    optim    optimizers, learning-rate schedules, clipping, accumulation
    nets     containers, configs, data sets, the trainer, checkpoints, the CLI

``kubik.seed(n)`` seeds the package-level random generator that every layer,
dropout mask and shuffle draws from when it is given no explicit ``rng``.
"""
__version__ = "0.2.0"

from . import layers, losses, optim, nets  # noqa: E402  (after __version__: the CLI reads it)
from .layers import seed  # noqa: E402
from .nets import load  # noqa: E402  (kubik.load(path): a trained model, ready to predict)
from .layers.runtime.threads import get_num_threads, set_num_threads  # noqa: E402
from .layers.kernels import get_backend, set_backend  # noqa: E402

__all__ = ["__version__", "seed", "load", "set_num_threads", "get_num_threads", "set_backend", "get_backend",
           "layers", "losses", "optim", "nets"]
