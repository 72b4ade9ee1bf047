"""kubik layers: the Layer/Parameter contract, the layer registry, the
layers themselves and the gradient checker.

    core/            Layer, Parameter, the registry and plugins, spec, init, random, gradcheck
    activations/     ReLU, LeakyReLU, ELU, Hardtanh, PReLU, Sigmoid, Tanh, Softplus, GELU, SiLU, Mish, Softmax, ...
    conv/            Conv2d, Conv1d, ConvTranspose2d, ConvTranspose1d and their engines (im2col, Winograd)
    pooling/         MaxPool2d, AvgPool2d, adaptive / global average pools, 1-d pools; Upsample, ZeroPad2d
    normalization/   BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm
    recurrent/       RNN, LSTM, GRU, RNNCell, GRUCell, LSTMCell, Embedding, LastStep, MeanOverTime
    attention/       MultiheadAttention, TransformerEncoderLayer, SinusoidalPositionalEncoding, PositionalEmbedding
    merge/           Add, Multiply, Concatenate: several inputs joined into one
    linear, shape, dropout   Linear; Flatten, Identity, Reshape, Permute; Dropout, Dropout2d
    testing          check_layer: the conformance check for your own layers
    runtime/         threads, samples split between threads, scratch buffers, flat parameters
    kernels/         the optional compiled (numba) kernels
"""
if __name__.startswith("kubik."):   # not when the bare folder is imported as 'layers' (python -m pytest)
    from .core.installation import check_installation
    check_installation()   # a folder named 'kubik' on sys.path (a clone) shadowing the installed package
from .core import (INITS, LAYERS, PLUGIN_GROUP, GradcheckError, GradcheckResult, Layer, Parameter, Registry,
                   SpecError, get_rng, gradcheck, init_weight, load_plugins, register, seed)

from .linear import Linear
from .shape import Flatten, Identity, Permute, Reshape
from .activations import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU, Sigmoid, SiLU, Softmax,
                          Softplus, Tanh)
from .dropout import Dropout, Dropout2d
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .pooling import (AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, GlobalAvgPool2d, MaxPool1d, MaxPool2d, Upsample,
                      ZeroPad2d)
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .recurrent import GRU, LSTM, RNN, Embedding, GRUCell, LastStep, LSTMCell, MeanOverTime, RNNCell
from .attention import MultiheadAttention, PositionalEmbedding, SinusoidalPositionalEncoding, TransformerEncoderLayer
from .merge import Add, Concatenate, Multiply
from . import testing  # noqa: E402  (check_layer: the conformance check for your own layers)
