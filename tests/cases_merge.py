"""Gradient-check cases for the merge layers (several inputs: X is a tuple)."""
import numpy as np

from kubik import layers


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


LAYER_CASES = {
    "Add": [("two", lambda: (layers.Add(), (randn(3, 4), randn(3, 4, seed=1)))),
            ("three_images", lambda: (layers.Add(), (randn(2, 2, 3, 3), randn(2, 2, 3, 3, seed=1),
                                                     randn(2, 2, 3, 3, seed=2))))],
    "Multiply": [("two", lambda: (layers.Multiply(), (randn(3, 4), randn(3, 4, seed=1)))),
                 ("three", lambda: (layers.Multiply(), (randn(2, 5), randn(2, 5, seed=1), randn(2, 5, seed=2))))],
    "Concatenate": [("features", lambda: (layers.Concatenate(), (randn(3, 2), randn(3, 5, seed=1)))),
                    ("channels", lambda: (layers.Concatenate(axis=1), (randn(2, 1, 3, 3), randn(2, 3, 3, 3, seed=1)))),
                    ("last_axis", lambda: (layers.Concatenate(axis=-1), (randn(2, 3, 2), randn(2, 3, 1, seed=1),
                                                                         randn(2, 3, 4, seed=2))))],
}
