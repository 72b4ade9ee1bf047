"""RandomFlip: a mirror image of a random part of the batch (whole-batch numpy)."""
import numpy as np

from .base import Transform, probability, register

@register
class RandomFlip(Transform):
    """Mirror each sample along ``axis`` with probability ``p`` (Caffe's ``mirror``,
    torchvision's RandomHorizontalFlip). axis counts from the end: −1 flips the
    width (left-right), −2 the height. Draws one uniform number per sample.
    """
    geometric = True

    def __init__(self, axis=-1, p=0.5):
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis >= 0:
            raise ValueError(f"RandomFlip: axis counts from the end (−1: width, −2: height), got {axis!r}")
        self.axis, self.p = int(axis), probability("RandomFlip", p)

    def check(self, sample_shape):
        if -self.axis > len(sample_shape):
            raise ValueError(f"RandomFlip: axis {self.axis} does not exist in samples of shape {tuple(sample_shape)}")

    def __call__(self, X, rng):
        chosen = rng.random(len(X)) < self.p
        if chosen.any():
            X[chosen] = np.flip(X[chosen], self.axis)
        return X
