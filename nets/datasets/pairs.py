"""``digits_pairs``: pairs of bundled digits, half of the same class and half of
different classes: the data of a Siamese net (Caffe's MNIST siamese example,
on the 8×8 digits).

The digit images are first split into a training part and a test part
(``test_images``, a seeded permutation), and pairs are drawn only within each
part, so no test image is ever seen in training. Each image of a part is the
first image of ``pairs_per_image`` same-class pairs (the second image drawn from
its class, never itself) and as many different-class pairs (a random other
class, then a random image of it): exactly half of the pairs are similar.

    X1, X2 = raw.X.arrays     # (P, 1, 8, 8) each, pixels 0..16
    raw.y                     # 1 = same class, 0 = different (Caffe's convention)
    raw.points                # the part's single images and digit classes (for embedding plots)
"""
import numpy as np

from ..config import ConfigError
from .base import DATASETS, Raw
from .bundled import digits
from .inputs import Inputs

NAMES = ("x1", "x2")


def draw_pairs(labels, k, rng):
    """(first, second, same) index arrays: each sample first in k same-class and k
    different-class pairs, in a seeded order."""
    n = len(labels)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    classes, start, size = np.unique(sorted_labels, return_index=True, return_counts=True)
    if len(classes) < 2 or size.min() < 2:
        raise ConfigError("digits_pairs: every class needs two images and there must be two classes "
                          "(lower test_images)", ("data", "test_images"))
    cls = np.searchsorted(classes, labels)              # class index of each sample
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - start[np.searchsorted(classes, sorted_labels)]   # position within its class
    first = np.repeat(np.arange(n), k)
    c, r = cls[first], rank[first]
    other = (r + 1 + rng.integers(0, size[c] - 1)) % size[c]           # another image of the same class
    same_partner = order[start[c] + other]
    c2 = (c + 1 + rng.integers(0, len(classes) - 1, len(first))) % len(classes)   # another class
    diff_partner = order[start[c2] + (rng.random(len(first)) * size[c2]).astype(np.int64)]
    a = np.concatenate([first, first])
    b = np.concatenate([same_partner, diff_partner])
    same = np.concatenate([np.ones(len(first), np.int64), np.zeros(len(first), np.int64)])
    perm = rng.permutation(len(a))
    return a[perm], b[perm], same[perm]


@DATASETS.register(name="digits_pairs")
def digits_pairs(test_images=0.2, pairs_per_image=1, image=True, rng=None):
    """Pairs of UCI digits, half same class (y = 1) and half different (y = 0), drawn
    within a training and a test part of the images (``test_images``: the fraction of
    images kept for test pairs). Inputs ``x1``, ``x2``: (1, 8, 8) images (``image:
    false``: 64 features). ``pairs_per_image``: same-class pairs (and as many
    different-class ones) per image."""
    if not 0.0 < float(test_images) < 1.0:
        raise ConfigError(f"test_images must be in (0, 1), got {test_images!r}", ("data", "test_images"))
    if isinstance(pairs_per_image, bool) or not isinstance(pairs_per_image, int) or pairs_per_image < 1:
        raise ConfigError(f"pairs_per_image must be an integer >= 1, got {pairs_per_image!r}",
                          ("data", "pairs_per_image"))
    raw = digits(image=image)
    rng = np.random.default_rng(0) if rng is None else rng
    perm = rng.permutation(len(raw.X))
    n_test = int(round(float(test_images) * len(raw.X)))
    parts = []
    for idx in (np.sort(perm[n_test:]), np.sort(perm[:n_test])):
        X, y = raw.X[idx], raw.y[idx]
        a, b, same = draw_pairs(y, pairs_per_image, rng)
        parts.append((Inputs((X[a], X[b]), NAMES), same, (X, y)))
    (X, y, points), (X_test, y_test, test_points) = parts
    return Raw(X, y, X_test, y_test, classes=("different", "same"), points=(points, test_points))
