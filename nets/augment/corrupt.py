"""Corruptions: RandomNoise and Cutout (whole-batch numpy, no loop over samples);
they change the input alone, also where the target is the input itself."""
import numpy as np

from .base import Transform, register


@register
class RandomNoise(Transform):
    """X + std · ε, ε ~ N(0, 1) per element (in X's float dtype): the corruption a
    denoising autoencoder learns to undo. Draws one normal number per element."""

    def __init__(self, std):
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not std >= 0:
            raise ValueError(f"RandomNoise: std must be a number >= 0, got {std!r}")
        self.std = float(std)

    def __call__(self, X, rng):
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        noise = rng.standard_normal(X.shape, dtype=dtype)
        noise *= self.std
        return np.add(X, noise, out=X if X.dtype == dtype else None)


@register
class Cutout(Transform):
    """A size x size square of every image set to zero (DeVries & Taylor, 2017), at a
    centre drawn uniformly over the image (the square may be clipped by the border),
    in every channel. Draws per sample the centre row, then its column."""

    def __init__(self, size):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"Cutout: size must be a positive int, got {size!r}")
        self.size = int(size)

    def check(self, sample_shape):
        self._need_image(sample_shape)

    def __call__(self, X, rng):
        N, (H, W) = len(X), X.shape[-2:]
        y0 = rng.integers(0, H, N)[:, None] - self.size // 2
        x0 = rng.integers(0, W, N)[:, None] - self.size // 2
        rows = (np.arange(H) >= y0) & (np.arange(H) < y0 + self.size)         # (N, H)
        cols = (np.arange(W) >= x0) & (np.arange(W) < x0 + self.size)         # (N, W)
        keep = ~(rows[:, :, None] & cols[:, None, :])
        X *= keep.reshape((N,) + (1,) * (X.ndim - 3) + (H, W))
        return X
