"""Pair accuracy of a Siamese net: a pair is called similar when the distance
between its two embeddings is below a threshold.

    pair_distances(a, b)                 # ‖a − b‖₂ per pair
    pair_correct(a, b, y, threshold)     # pairs called right (y = 1 similar, 0 not)
    best_threshold(d, y)                 # (threshold, accuracy): the best cut of the distances

During training the threshold is half the contrastive margin (similar pairs are
pulled to 0, dissimilar ones pushed beyond the margin); ``kubik eval`` also
reports the accuracy at the best threshold of the evaluated pairs.
"""
import numpy as np


def pair_distances(a, b):
    """Euclidean distance per pair over every non-batch axis, float64."""
    D = (np.asarray(a, np.float64) - np.asarray(b, np.float64)).reshape(len(a), -1)
    return np.sqrt(np.einsum("nd,nd->n", D, D))


def pair_correct(a, b, y, threshold):
    """How many pairs ``d < threshold`` calls right."""
    return int(((pair_distances(a, b) < threshold) == (np.asarray(y).reshape(len(a)) == 1)).sum())


def best_threshold(d, y):
    """(threshold, accuracy) maximizing the accuracy of ``d < threshold`` on labels ``y``
    (1 similar); the threshold is the midpoint between two sorted distances."""
    d, same = np.asarray(d, np.float64), np.asarray(y).reshape(len(d)) == 1
    if not len(d):
        return 0.0, None
    order = np.argsort(d, kind="stable")
    d, same = d[order], same[order]
    # cutting after the first k pairs: the k nearest are called similar
    called_same_right = np.concatenate([[0], np.cumsum(same)])
    called_diff_right = (~same).sum() - np.concatenate([[0], np.cumsum(~same)])
    right = called_same_right + called_diff_right
    k = int(np.argmax(right))
    cuts = np.concatenate([[d[0] - 1.0], (d[:-1] + d[1:]) / 2, [d[-1] + 1.0]])
    return float(cuts[k]), float(right[k]) / len(d)
