"""Sequences (N, T, F): recurrent layers, their inputs and their reductions.

    rnn, lstm, gru        RNN, LSTM, GRU (PyTorch's equations, gate order and parameter names)
    recurrent             what the three share: parameters, stacking, directions, states, the big GEMMs
    recurrent_backward    backpropagation through time
    cell                  what the one-step cells share: forward(X, H[, C]), one gradient per input
    rnn_cell, gru_cell, lstm_cell   RNNCell, GRUCell, LSTMCell: one step (decoders, Graphs, Python loops)
    embedding             Embedding: token indices -> vectors
    sequence              LastStep, MeanOverTime: a sequence -> one vector per sample
"""
from .embedding import Embedding
from .rnn import RNN
from .lstm import LSTM
from .gru import GRU
from .sequence import LastStep, MeanOverTime
from .rnn_cell import RNNCell
from .gru_cell import GRUCell
from .lstm_cell import LSTMCell
