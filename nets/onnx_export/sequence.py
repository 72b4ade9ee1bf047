"""Converters of the sequence layers that are not recurrent: Embedding
(Gather of the weight's rows), LastStep (Gather of step −1 on axis 1),
MeanOverTime (ReduceMean over axis 1), Conv1d (a 1-d Conv with stride,
padding, dilation and groups) and MaxPool1d / AvgPool1d (1-d MaxPool /
AveragePool).

The graph's input is float32, as kubik's data pipeline gives every model
(character indices arrive as integral floats, which Embedding accepts), so
Embedding casts its input to int64 before the Gather; a value that is already
int64 is cast to itself. Out-of-range indices, an error in kubik, are an error
in onnxruntime's Gather as well, but a negative index counts from the end there.
"""
import numpy as np
from onnx import TensorProto

from ...layers import AvgPool1d, Conv1d, Embedding, LastStep, MaxPool1d, MeanOverTime

from .graph import converts


@converts(Embedding)
def embedding(g, layer, x, shape, where):
    """W[X]: (N, ...) indices -> (N, ..., embedding_dim)."""
    idx = g.op("Cast", [x], "indices", to=TensorProto.INT64)
    return g.op("Gather", [g.const(layer.weight.data, "embedding"), idx], axis=0)


@converts(LastStep)
def last_step(g, layer, x, shape, where):
    """X[:, −1]: a scalar index drops the time axis, (N, T, F) -> (N, F)."""
    return g.op("Gather", [x, g.const(-1, "last", np.int64)], axis=1)


@converts(MeanOverTime)
def mean_over_time(g, layer, x, shape, where):
    """(1/T) Σₜ X[:, t]: (N, T, F) -> (N, F); axes became an input at opset 18."""
    if g.opset >= 18:
        return g.op("ReduceMean", [x, g.const([1], "axes", np.int64)], keepdims=0)
    return g.op("ReduceMean", [x], axes=[1], keepdims=0)


@converts(Conv1d)
def conv1d(g, layer, x, shape, where):
    inputs = [x, g.const(layer.weight.data, "weight")]
    if layer.bias is not None:
        inputs.append(g.const(layer.bias.data, "bias"))
    return g.op("Conv", inputs, kernel_shape=[layer.kernel_size], strides=[layer.stride],
                pads=[layer.padding, layer.padding], dilations=[layer.dilation], group=layer.groups)


@converts(MaxPool1d)
def max_pool1d(g, layer, x, shape, where):
    return g.op("MaxPool", [x], kernel_shape=[layer.kernel_size], strides=[layer.stride],
                pads=[layer.padding, layer.padding], dilations=[layer.dilation])


@converts(AvgPool1d)
def avg_pool1d(g, layer, x, shape, where):
    return g.op("AveragePool", [x], kernel_shape=[layer.kernel_size], strides=[layer.stride],
                pads=[layer.padding, layer.padding], count_include_pad=int(layer.count_include_pad))
