"""Elementwise activations and the softmaxes.

    rectifier   ReLU, LeakyReLU, ELU
    smooth      Sigmoid, Tanh, Softplus, GELU
    softmax     Softmax, LogSoftmax
"""
from .rectifier import ELU, LeakyReLU, ReLU
from .smooth import GELU, Sigmoid, Softplus, Tanh
from .softmax import LogSoftmax, Softmax
