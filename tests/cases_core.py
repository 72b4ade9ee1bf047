"""Gradient-check cases for the core layers and losses.

LAYER_CASES: registry name -> list of (case id, factory); factory() returns
(layer, X). LOSS_CASES: registry name -> list of (case id, factory); factory()
returns (loss, pred, target). test_gradcheck_all.py collects every
tests/cases_*.py module and fails for a registered name without a case.
"""
import numpy as np

from kubik import layers
from kubik import losses
from kubik import nets


def randn(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def away_from_zero(*shape, seed=0):
    """Values with |x| >= 0.1, so kinks at 0 are not within eps."""
    X = randn(*shape, seed=seed)
    return X + 0.1 * np.sign(X)


LAYER_CASES = {
    "Linear": [("basic", lambda: (layers.Linear(5, 3, rng=0), randn(4, 5))),
               ("no_bias_3d", lambda: (layers.Linear(4, 2, bias=False, rng=1), randn(2, 3, 4))),
               ("batch_of_1", lambda: (layers.Linear(3, 3, rng=2), randn(1, 3)))],
    "Identity": [("basic", lambda: (layers.Identity(), randn(3, 4)))],
    "Flatten": [("nchw", lambda: (layers.Flatten(), randn(2, 3, 2, 2))),
                ("middle", lambda: (layers.Flatten(1, 2), randn(2, 3, 2, 2)))],
    "Reshape": [("to_image", lambda: (layers.Reshape(1, 2, 3), randn(2, 6))),
                ("minus_one", lambda: (layers.Reshape(-1, 2), randn(2, 3, 2)))],
    "ReLU": [("basic", lambda: (layers.ReLU(), away_from_zero(4, 5)))],
    "LeakyReLU": [("basic", lambda: (layers.LeakyReLU(0.2), away_from_zero(4, 5)))],
    "ELU": [("basic", lambda: (layers.ELU(0.7), away_from_zero(4, 5)))],
    "Sigmoid": [("basic", lambda: (layers.Sigmoid(), randn(4, 5, scale=3))),
                ("extreme", lambda: (layers.Sigmoid(), np.array([[-30.0, -5.0, 0.0, 5.0, 30.0]])))],
    "Tanh": [("basic", lambda: (layers.Tanh(), randn(4, 5, scale=2)))],
    "Softplus": [("basic", lambda: (layers.Softplus(), randn(4, 5, scale=3))),
                 ("beta_threshold", lambda: (layers.Softplus(beta=2.0, threshold=5.0), randn(4, 5, scale=3)))],
    "GELU": [("exact", lambda: (layers.GELU(), randn(4, 5, scale=2))),
             ("tanh", lambda: (layers.GELU(approximate="tanh"), randn(4, 5, scale=2)))],
    "Softmax": [("basic", lambda: (layers.Softmax(), randn(4, 5, scale=2))),
                ("dim0", lambda: (layers.Softmax(dim=0), randn(3, 4)))],
    "LogSoftmax": [("basic", lambda: (layers.LogSoftmax(), randn(4, 5, scale=2))),
                   ("batch_of_1", lambda: (layers.LogSoftmax(), randn(1, 3)))],
    "Dropout": [("train", lambda: (layers.Dropout(0.3, rng=0), randn(4, 5))),
                ("eval", lambda: (layers.Dropout(0.3).eval(), randn(4, 5)))],
    "Sequential": [("mlp", lambda: (nets.Sequential(layers.Linear(4, 6, rng=0), layers.Tanh(),
                                                    layers.Linear(6, 3, rng=1), layers.LogSoftmax()), randn(3, 4)))],
}

_labels = np.array([0, 2, 1, 2])
_rng = np.random.default_rng(3)
LOSS_CASES = {
    "MSE": [("mean", lambda: (losses.MSE(), randn(4, 3), randn(4, 3, seed=1))),
            ("sum", lambda: (losses.MSE(reduction="sum"), randn(4, 3), randn(4, 3, seed=1)))],
    "CrossEntropy": [("labels", lambda: (losses.CrossEntropy(), randn(4, 3), _labels)),
                     ("sum", lambda: (losses.CrossEntropy(reduction="sum"), randn(4, 3), _labels)),
                     ("smoothing", lambda: (losses.CrossEntropy(label_smoothing=0.2), randn(4, 3), _labels)),
                     ("probabilities", lambda: (losses.CrossEntropy(), randn(4, 3),
                                                np.random.default_rng(1).dirichlet(np.ones(3), 4)))],
    "NLL": [("labels", lambda: (losses.NLL(), randn(4, 3), _labels))],
    "BCE": [("mean", lambda: (losses.BCE(), np.random.default_rng(0).uniform(0.05, 0.95, (4, 3)),
                              (np.random.default_rng(1).random((4, 3)) > 0.5) * 1.0))],
    "BCEWithLogits": [("mean", lambda: (losses.BCEWithLogits(), randn(4, 3, scale=3),
                                        np.random.default_rng(1).random((4, 3))))],
}
