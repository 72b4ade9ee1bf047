"""Elementwise activations and the softmaxes.

    rectifier   ReLU, LeakyReLU, ELU, Hardtanh
    prelu       PReLU (learnt negative slopes)
    smooth      Sigmoid, Tanh, Softplus, GELU
    self_gated  SiLU, Mish
    softmax     Softmax, LogSoftmax
"""
from .rectifier import ELU, Hardtanh, LeakyReLU, ReLU
from .prelu import PReLU
from .smooth import GELU, Sigmoid, Softplus, Tanh
from .self_gated import Mish, SiLU
from .softmax import LogSoftmax, Softmax
