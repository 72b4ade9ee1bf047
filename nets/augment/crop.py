"""RandomCrop and RandomShift: one window per sample, cut from the (padded) batch
by a single gather over a sliding-window view (no loop over samples)."""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .base import Transform, register

PADDING_MODES = ("constant", "reflect", "edge")


def _size(owner, name, value):
    v = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
    if len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1 for x in v):
        raise ValueError(f"{owner}: {name} must be a positive int or a pair (height, width), got {value!r}")
    return int(v[0]), int(v[1])


def _padding(owner, value):
    """torchvision's forms: an int, (left/right, top/bottom) or (left, top, right, bottom) -> (top, bottom, left, right)."""
    v = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if len(v) not in (1, 2, 4) or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0 for x in v):
        raise ValueError(f"{owner}: padding must be an int >= 0, a pair (left/right, top/bottom) or four values "
                         f"(left, top, right, bottom), got {value!r}")
    if len(v) == 1:
        v = v * 4
    elif len(v) == 2:
        v = (v[0], v[1], v[0], v[1])
    left, top, right, bottom = (int(x) for x in v)
    return top, bottom, left, right


class Windows:
    """Per sample n the (h, w) window at rows top[n]…, columns left[n]… of a batch padded
    on its last two axes: one gather over a strided view of every window position.
    Zero padding goes into a kept buffer whose border is never written (np.pad and
    sliding_window_view cost 3x the whole gather on an 8x8 digits batch)."""

    def __init__(self):
        self._padded = None

    def _pad(self, X, pads, mode):
        top, bottom, left, right = pads
        if not any(pads):
            return X
        if mode != "constant":
            return np.pad(X, [(0, 0)] * (X.ndim - 2) + [(top, bottom), (left, right)], mode=mode)
        H, W = X.shape[-2:]
        shape = X.shape[:-2] + (H + top + bottom, W + left + right)
        P = self._padded
        if P is None or P.shape != shape or P.dtype != X.dtype:
            P = self._padded = np.zeros(shape, X.dtype)
        P[..., top:top + H, left:left + W] = X
        return P

    def __call__(self, X, pads, size, top, left, mode="constant"):
        P = self._pad(X, pads, mode)
        (h, w), s = size, P.strides
        view = as_strided(P, P.shape[:-2] + (P.shape[-2] - h + 1, P.shape[-1] - w + 1, h, w),
                          s[:-2] + (s[-2], s[-1], s[-2], s[-1]), writeable=False)
        return view[np.arange(len(X)), ..., top, left, :, :]      # (N, ..., h, w): a copy


@register
class RandomCrop(Transform):
    """A random (h, w) window of every image, after padding (torchvision's RandomCrop).

    size: an int or (height, width); padding: an int, (left/right, top/bottom) or
    (left, top, right, bottom) added first, with ``padding_mode`` "constant" (zeros:
    after scaling, the value 0 has), "reflect" or "edge". Draws an (N, 2) array of
    integers: per sample its window's top row and left column, each uniform over the
    places the window fits.
    Samples (..., H, W); CIFAR's classic: RandomCrop(32, padding=4).
    """
    geometric = True

    def __init__(self, size, padding=0, padding_mode="constant"):
        self.size = _size("RandomCrop", "size", size)
        self.pads = _padding("RandomCrop", padding)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"RandomCrop: padding_mode must be one of {', '.join(PADDING_MODES)}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        self._windows = Windows()

    def _room(self, shape):
        H, W = shape[-2] + self.pads[0] + self.pads[1], shape[-1] + self.pads[2] + self.pads[3]
        return H - self.size[0] + 1, W - self.size[1] + 1

    def check(self, sample_shape):
        self._need_image(sample_shape)
        if min(self._room(sample_shape)) < 1:
            raise ValueError(f"RandomCrop: a {self.size[0]}x{self.size[1]} window does not fit samples of size "
                             f"{sample_shape[-2]}x{sample_shape[-1]} padded by {self.pads} (top, bottom, left, right)")
        if self.padding_mode == "reflect" and max(self.pads) >= min(sample_shape[-2:]):
            raise ValueError(f"RandomCrop: reflect padding {max(self.pads)} needs samples larger than it, got "
                             f"{sample_shape[-2]}x{sample_shape[-1]}")

    def __call__(self, X, rng):
        top, left = rng.integers(0, self._room(X.shape), (len(X), 2)).T
        return self._windows(X, self.pads, self.size, top, left, self.padding_mode)


@register
class RandomShift(Transform):
    """Every image moved by a random whole number of pixels, dy and dx uniform in
    [−max_pixels, max_pixels], the uncovered border filled with zeros: a crop of the
    image's own size from the image padded by max_pixels. Draws an (N, 2) array of
    integers in [0, 2·max_pixels]: per sample max_pixels − dy and max_pixels − dx. Samples
    (..., H, W): digits shifted by a pixel are still digits.
    """
    geometric = True

    def __init__(self, max_pixels):
        if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)) or max_pixels < 0:
            raise ValueError(f"RandomShift: max_pixels must be an int >= 0, got {max_pixels!r}")
        self.max_pixels = int(max_pixels)
        self._windows = Windows()

    def check(self, sample_shape):
        self._need_image(sample_shape)

    def __call__(self, X, rng):
        m = self.max_pixels
        top, left = rng.integers(0, 2 * m + 1, (len(X), 2)).T
        return self._windows(X, (m, m, m, m), X.shape[-2:], top, left)
