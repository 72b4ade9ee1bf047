"""Data transforms for training batches (Caffe's ``transform_param``, torchvision's
transforms): applied by the training DataLoader to each batch, on the fly, after
scaling, never to validation, test or predicted data; vectorized over the batch
and drawn from the loader's seeded generator, so a run is reproducible bit for bit
and ``--resume`` continues the exact stream.

    augment = nets.augment.Augment([augment.RandomCrop(32, padding=4), augment.RandomFlip()])
    nets.fit(net, loss, opt, (X, y), augment=augment)        # or augment=[...] (a list), or in YAML:
    # data: {..., augment: [{RandomCrop: {size: 32, padding: 4}}, RandomFlip]}

    base      Transform (the contract: __call__(X, rng), check, geometric), TRANSFORMS, register
    crop      RandomCrop (after padding: constant, reflect, edge), RandomShift
    flip      RandomFlip
    corrupt   RandomNoise, Cutout
    pipeline  Augment: transforms in order; with a target that is the input, geometric ones move both
    config    build_augment: a config's data.augment list, errors naming the entry

Users' transforms: a ``Transform`` subclass decorated with ``@nets.augment.register``
in a module the config's ``imports:`` names (as their layers).
"""
from .base import TRANSFORMS, Transform, register
from .crop import RandomCrop, RandomShift
from .flip import RandomFlip
from .corrupt import Cutout, RandomNoise
from .pipeline import Augment
from .config import build_augment
