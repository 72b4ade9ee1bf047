"""Strips of handwritten digits side by side, for sequence recognition (a CRNN with CTC)."""
import numpy as np

from ..config import ConfigError
from .base import DATASETS, Raw
from .bundled import digits

PAD = 10        # the label after a strip's last digit: the blank of CTC(blank: 10)


def _count(key, v, least):
    if isinstance(v, bool) or not isinstance(v, int) or v < least:
        raise ConfigError(f"digit_strips: {key} must be an integer >= {least}, got {v!r}", ("data", key))


def shifted(images, shift, rng):
    """Each (8, 8) image moved by a random whole number of pixels in [−shift, shift] along
    each axis, zero-filled (one padded copy and one gather for all of them)."""
    n, k, H, W = images.shape
    padded = np.zeros((n, k, H + 2 * shift, W + 2 * shift), images.dtype)
    padded[:, :, shift:shift + H, shift:shift + W] = images
    dy, dx = rng.integers(0, 2 * shift + 1, (2, n, k, 1, 1))
    rows = dy + np.arange(H)[:, None]
    cols = dx + np.arange(W)[None, :]
    return padded[np.arange(n)[:, None, None, None], np.arange(k)[None, :, None, None], rows, cols]


def strips(X, y, n, min_digits, max_digits, rng, shift=0):
    """``n`` strips of min_digits..max_digits digits drawn from images X (m, 8, 8) with labels y:
    images (n, 1, 8, 8·max_digits), zero beyond each strip's last digit, and labels (n, max_digits)
    padded with PAD. ``shift``: each digit moved by up to that many pixels within its cell."""
    count = rng.integers(min_digits, max_digits + 1, n)
    pick = rng.integers(0, len(X), (n, max_digits))
    inside = np.arange(max_digits)[None, :] < count[:, None]
    images = X[pick]
    if shift:
        images = shifted(images, shift, rng)
    images = images * inside[:, :, None, None]                       # (n, k, 8, 8)
    images = images.transpose(0, 2, 1, 3).reshape(n, 1, 8, 8 * max_digits)
    return images, np.where(inside, y[pick], PAD).astype(np.int64)


@DATASETS.register(name="digit_strips")
def digit_strips(n_train=6000, n_test=1000, min_digits=3, max_digits=6, test_digits=0.25, shift=0, rng=None):
    """Strips of ``min_digits``..``max_digits`` bundled digits placed side by side: images
    (1, 8, 8·max_digits) with pixels 0..16, padded with zeros to the widest strip, and labels
    (max_digits,) = the digits, then 10 (the padding: a strip's length is its count of labels
    below 10; CTC(blank: 10) reads the padding as its blank). The 1797 digits are first split
    (seeded) into ``test_digits`` of them for test strips and the rest for training strips, so no
    test strip shows a digit image seen in training. ``shift``: training digits are moved by up
    to that many pixels within their 8 x 8 cell (augmentation; test strips are not shifted).
    Classes: "0".."9" and "blank"."""
    _count("n_train", n_train, 1)
    _count("n_test", n_test, 0)
    _count("min_digits", min_digits, 1)
    _count("max_digits", max_digits, min_digits)
    _count("shift", shift, 0)
    if isinstance(test_digits, bool) or not isinstance(test_digits, (int, float)) or not 0 < test_digits < 1:
        raise ConfigError(f"digit_strips: test_digits must be a fraction in (0, 1), got {test_digits!r}",
                          ("data", "test_digits"))
    raw = digits(image=True)
    order = rng.permutation(len(raw.X))
    cut = int(round(test_digits * len(order)))
    test, train = np.sort(order[:cut]), np.sort(order[cut:])
    X, y = raw.X[:, 0], raw.y
    X_train, y_train = strips(X[train], y[train], n_train, min_digits, max_digits, rng, shift)
    X_test, y_test = strips(X[test], y[test], n_test, min_digits, max_digits, rng)
    return Raw(X_train, y_train, X_test, y_test, classes=tuple(str(i) for i in range(10)) + ("blank",))


def strip_lengths(y):
    """The number of digits of each strip: labels before the padding (10)."""
    y = np.asarray(y)
    return (y != PAD).sum(axis=-1)
