"""Gradient-check cases for the criteria of the Torch7 table (L1 ... GaussianNLL) and
reduction='none' of the older losses. LOSS_CASES: registry name -> list of (case id,
factory); factory() returns (loss, pred, target), pred a tuple for a loss with several
predictions (``loss.predictions`` order), target None for a loss without one.
Values sit away from kinks (|d| = β, margins exactly met) so finite differences hold."""
import numpy as np

from kubik import losses


def randn(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def positive(*shape, seed=0):
    return np.exp(randn(*shape, seed=seed, scale=0.5))


def _probs(*shape, seed=0):
    e = positive(*shape, seed=seed)
    return e / e.sum(-1, keepdims=True)


_signs = np.array([1.0, -1.0, 1.0, -1.0])
_labels = np.array([0, 2, 1, 2])

LOSS_CASES = {
    "L1": [("mean", lambda: (losses.L1(), randn(4, 3), randn(4, 3, seed=1))),
           ("none", lambda: (losses.L1(reduction="none"), randn(4, 3), randn(4, 3, seed=1)))],
    "SmoothL1": [("beta", lambda: (losses.SmoothL1(beta=0.7), randn(4, 3, scale=2), randn(4, 3, seed=1))),
                 ("none", lambda: (losses.SmoothL1(reduction="none"), randn(4, 3, scale=2), randn(4, 3, seed=1)))],
    "Huber": [("delta", lambda: (losses.Huber(delta=0.6, reduction="sum"), randn(4, 3, scale=2),
                                 randn(4, 3, seed=1)))],
    "KLDiv": [("batchmean", lambda: (losses.KLDiv(reduction="batchmean"), np.log(_probs(4, 3)), _probs(4, 3, seed=1))),
              ("log_target_none", lambda: (losses.KLDiv(reduction="none", log_target=True), randn(4, 3),
                                           np.log(_probs(4, 3, seed=1))))],
    "PoissonNLL": [("log_input", lambda: (losses.PoissonNLL(), randn(4, 3), np.round(3 * positive(4, 3, seed=1)))),
                   ("rate_full", lambda: (losses.PoissonNLL(log_input=False, full=True, reduction="none"),
                                          positive(4, 3), np.round(3 * positive(4, 3, seed=1))))],
    "GaussianNLL": [("elementwise", lambda: (losses.GaussianNLL(), (randn(4, 3), positive(4, 3, seed=2)),
                                             randn(4, 3, seed=1))),
                    ("one_var_per_sample", lambda: (losses.GaussianNLL(full=True, reduction="none"),
                                                    (randn(4, 3), positive(4, seed=2)), randn(4, 3, seed=1)))],
    "MarginRanking": [("mean", lambda: (losses.MarginRanking(margin=0.5), (randn(4), randn(4, seed=1)), _signs)),
                      ("none", lambda: (losses.MarginRanking(margin=0.5, reduction="none"),
                                        (randn(4), randn(4, seed=1)), _signs))],
    "CosineEmbedding": [("margin", lambda: (losses.CosineEmbedding(margin=-0.5), (randn(4, 3), randn(4, 3, seed=1)),
                                            _signs))],
    "TripletMargin": [("p2", lambda: (losses.TripletMargin(margin=2.0), (randn(4, 3), randn(4, 3, seed=1),
                                                                         randn(4, 3, seed=2)), None)),
                      ("p1_swap_none", lambda: (losses.TripletMargin(margin=3.0, p=1, swap=True, reduction="none"),
                                                (randn(4, 3), randn(4, 3, seed=1), randn(4, 3, seed=2)), None))],
    "MultiMargin": [("p1", lambda: (losses.MultiMargin(margin=2.0), randn(4, 3), _labels)),
                    ("p2_weight", lambda: (losses.MultiMargin(p=2, margin=2.0, weight=[1.0, 2.0, 0.5]),
                                           randn(4, 3), _labels))],
    "MSE": [("none", lambda: (losses.MSE(reduction="none"), randn(4, 3), randn(4, 3, seed=1)))],
    "CrossEntropy": [("none", lambda: (losses.CrossEntropy(reduction="none", ignore_index=1), randn(4, 3), _labels))],
    "NLL": [("none", lambda: (losses.NLL(reduction="none"), randn(4, 3), _labels))],
    "BCE": [("none", lambda: (losses.BCE(reduction="none"), np.random.default_rng(0).uniform(0.05, 0.95, (4, 3)),
                              (np.random.default_rng(1).random((4, 3)) > 0.5) * 1.0))],
    "BCEWithLogits": [("none", lambda: (losses.BCEWithLogits(reduction="none"), randn(4, 3, scale=3),
                                        np.random.default_rng(1).random((4, 3))))],
}
