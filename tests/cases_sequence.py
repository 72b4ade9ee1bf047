"""Gradient-check cases for the sequence layers (collected by test_gradcheck_all.py):
every recurrent layer with sequence lengths 1 and 7, a batch of 1, stacked
and bidirectional variants (with dropout between layers in training)."""
import numpy as np

from kubik import layers, losses


def randn(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _recurrent_cases(cls, **kw):
    return [
        ("T7", lambda: (cls(3, 4, rng=0, **kw), randn(2, 7, 3))),
        ("T1", lambda: (cls(3, 4, rng=1, **kw), randn(2, 1, 3, seed=1))),
        ("batch_of_1", lambda: (cls(2, 3, rng=2, **kw), randn(1, 7, 2, seed=2))),
        ("stacked_bidirectional", lambda: (cls(2, 3, num_layers=2, bidirectional=True, rng=3, **kw),
                                           randn(2, 7, 2, seed=3))),
        ("stacked_dropout", lambda: (cls(2, 3, num_layers=3, dropout=0.3, rng=4, **kw), randn(2, 4, 2, seed=4))),
        ("bidirectional_T1_no_bias", lambda: (cls(3, 2, bidirectional=True, bias=False, rng=5, **kw),
                                              randn(1, 1, 3, seed=5))),
    ]


LAYER_CASES = {
    "Embedding": [("indices", lambda: (layers.Embedding(6, 3, rng=0), np.array([[0, 5, 2], [2, 2, 1]]))),
                  ("batch_of_1_repeats", lambda: (layers.Embedding(5, 2, padding_idx=0, rng=1), np.array([[1, 3, 3, 4, 1]])))],
    "RNN": _recurrent_cases(layers.RNN) + [
        ("relu", lambda: (layers.RNN(3, 4, nonlinearity="relu", rng=6), randn(2, 7, 3, seed=6)))],
    "LSTM": _recurrent_cases(layers.LSTM),
    "GRU": _recurrent_cases(layers.GRU),
    "LastStep": [("basic", lambda: (layers.LastStep(), randn(2, 5, 3))),
                 ("T1", lambda: (layers.LastStep(), randn(1, 1, 3)))],
    "Conv1d": [("stride_padding_dilation_groups", lambda: (layers.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2,
                                                                          groups=2, rng=0), randn(2, 4, 11))),
               ("batch_of_1_no_bias", lambda: (layers.Conv1d(3, 2, 1, bias=False, rng=1), randn(1, 3, 5)))],
    "MaxPool1d": [("overlap_padding", lambda: (layers.MaxPool1d(3, 2, 1), randn(2, 3, 9))),
                  ("dilation", lambda: (layers.MaxPool1d(2, dilation=2), randn(1, 2, 8)))],
    "AvgPool1d": [("exclude_pad", lambda: (layers.AvgPool1d(3, 2, 1, count_include_pad=False), randn(2, 3, 9))),
                  ("default", lambda: (layers.AvgPool1d(2), randn(1, 2, 7)))],
    "MeanOverTime": [("basic", lambda: (layers.MeanOverTime(), randn(2, 5, 3))),
                     ("T1", lambda: (layers.MeanOverTime(), randn(1, 1, 3)))],
}

_seq_labels = np.array([[0, 2, -100], [1, -100, 2]])
LOSS_CASES = {
    "CrossEntropy": [("sequence_ignore_index", lambda: (losses.CrossEntropy(), randn(2, 3, 4), _seq_labels)),
                     ("sequence_smoothing_sum", lambda: (losses.CrossEntropy(reduction="sum", label_smoothing=0.1),
                                                         randn(2, 3, 4), _seq_labels))],
    "NLL": [("sequence_ignore_index", lambda: (losses.NLL(), randn(2, 3, 4), _seq_labels))],
}
