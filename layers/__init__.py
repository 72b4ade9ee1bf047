"""kubik layers: the Layer/Parameter contract, the layer registry, the
layers themselves and the gradient checker."""
from .parameter import Parameter
from .layer import Layer
from .spec import SpecError
from .registry import LAYERS, PLUGIN_GROUP, Registry, load_plugins, register
from .random import get_rng, seed
from .gradcheck import GradcheckError, GradcheckResult, gradcheck

from .linear import Linear
from .shape import Flatten, Identity, Reshape
from .rectifier import ELU, LeakyReLU, ReLU
from .smooth import GELU, Sigmoid, Softplus, Tanh
from .softmax import LogSoftmax, Softmax
from .dropout import Dropout
from .conv import Conv2d
from .pooling import AvgPool2d, MaxPool2d
from .adaptive_pool import AdaptiveAvgPool2d, GlobalAvgPool2d
from .batchnorm import BatchNorm1d, BatchNorm2d
from .layernorm import LayerNorm
from . import testing  # noqa: E402  (check_layer: the conformance check for your own layers)
from .init import INITS, init_weight
from .embedding import Embedding
from .rnn import RNN
from .lstm import LSTM
from .gru import GRU
from .sequence import LastStep, MeanOverTime
from .conv1d import Conv1d
from .pooling1d import AvgPool1d, MaxPool1d
