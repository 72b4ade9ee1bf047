"""Gradient-check cases for attention, positional encodings, the Transformer layer, the
one-step cells (several inputs: X is a tuple) and Permute (collected by
test_gradcheck_all.py); CTC is checked through a log-softmax (see losses.CTC)."""
import numpy as np

from kubik import layers, losses
from kubik.nets.gradcheck_all import ThroughLogSoftmax


def randn(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _cells(cls, states):
    return [
        ("with_states", lambda: (cls(3, 4, rng=0), (randn(2, 3),) + tuple(randn(2, 4, seed=i + 1) for i in range(states)))),
        ("zero_state", lambda: (cls(3, 4, rng=1), randn(2, 3, seed=4))),
        ("batch_of_1_no_bias", lambda: (cls(2, 3, bias=False, rng=2), (randn(1, 2, seed=5),) + tuple(
            randn(1, 3, seed=6 + i) for i in range(states)))),
    ]


LAYER_CASES = {
    "MultiheadAttention": [
        ("self_2heads", lambda: (layers.MultiheadAttention(4, 2, rng=0), randn(2, 5, 4))),
        ("causal_dropout", lambda: (layers.MultiheadAttention(6, 3, causal=True, dropout=0.3, rng=1), randn(2, 4, 6))),
        ("cross_4heads", lambda: (layers.MultiheadAttention(4, 4, rng=2), (randn(2, 3, 4), randn(2, 5, 4, seed=1),
                                                                           randn(2, 5, 4, seed=2)))),
        ("T1_no_bias", lambda: (layers.MultiheadAttention(4, 1, bias=False, rng=3), randn(1, 1, 4))),
        ("extreme_scores", lambda: (layers.MultiheadAttention(4, 2, rng=4), randn(2, 3, 4, scale=8.0)))],
    "TransformerEncoderLayer": [
        ("post_relu", lambda: (layers.TransformerEncoderLayer(4, 2, 6, dropout=0.0, rng=0), randn(2, 3, 4))),
        ("pre_gelu_causal_dropout", lambda: (layers.TransformerEncoderLayer(4, 2, 5, dropout=0.2, activation="gelu",
                                                                            norm_first=True, causal=True, rng=1),
                                             randn(2, 3, 4, seed=1)))],
    "SinusoidalPositionalEncoding": [("basic", lambda: (layers.SinusoidalPositionalEncoding(5), randn(2, 3, 5)))],
    "PositionalEmbedding": [("basic", lambda: (layers.PositionalEmbedding(6, 3, rng=0), randn(2, 4, 3)))],
    "RNNCell": _cells(layers.RNNCell, 1) + [
        ("relu", lambda: (layers.RNNCell(3, 4, nonlinearity="relu", rng=3), (randn(2, 3, seed=7), randn(2, 4, seed=8))))],
    "GRUCell": _cells(layers.GRUCell, 1),
    "LSTMCell": _cells(layers.LSTMCell, 2),
    "Permute": [("image_width_as_time", lambda: (layers.Permute(0, 3, 1, 2), randn(2, 3, 2, 4)))],
}


def _log_probs_case(blank, reduction, zero_infinity=False):
    def make():
        targets = np.array([[1, 2, 2], [2, 1, blank], [1, 1, 2]]) if blank else np.array([[1, 2, 2], [2, 1, 0],
                                                                                            [1, 1, 2]])
        return ThroughLogSoftmax(losses.CTC(blank=blank, reduction=reduction, zero_infinity=zero_infinity)), \
            randn(3, 6, 4), targets
    return make


LOSS_CASES = {
    "CTC": [("mean_blank0", _log_probs_case(0, "mean")), ("sum_blank3", _log_probs_case(3, "sum")),
            ("zero_infinity", _log_probs_case(0, "mean", True))],
}
