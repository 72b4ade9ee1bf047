"""Sequences (N, T, F): recurrent layers, their inputs and their reductions.

    rnn, lstm, gru        RNN, LSTM, GRU (PyTorch's equations, gate order and parameter names)
    recurrent             what the three share: parameters, stacking, directions, states, the big GEMMs
    recurrent_backward    backpropagation through time
    embedding             Embedding: token indices -> vectors
    sequence              LastStep, MeanOverTime: a sequence -> one vector per sample
"""
from .embedding import Embedding
from .rnn import RNN
from .lstm import LSTM
from .gru import GRU
from .sequence import LastStep, MeanOverTime
