"""Converters of the layers that act per element or only move data: Linear
(MatMul + Add, any leading axes), the activations (GELU as its erf or tanh
formula), Softmax/LogSoftmax, Dropout, Dropout2d and Identity (Identity), Flatten and
Reshape (Reshape, batch axis kept), Permute (Transpose)."""
import math

import numpy as np

from ...layers import (ELU, GELU, Dropout, Dropout2d, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, Permute, ReLU,
                       Reshape, Sigmoid, Softmax, Softplus, Tanh)

from .graph import converts


@converts(Linear)
def linear(g, layer, x, shape, where):
    y = g.op("MatMul", [x, g.const(layer.weight.data, "weight")])
    if layer.bias is not None:
        y = g.op("Add", [y, g.const(layer.bias.data, "bias")])
    return y


@converts(ReLU)
def relu(g, layer, x, shape, where):
    return g.op("Relu", [x])


@converts(LeakyReLU)
def leaky_relu(g, layer, x, shape, where):
    return g.op("LeakyRelu", [x], alpha=layer.negative_slope)


@converts(ELU)
def elu(g, layer, x, shape, where):
    return g.op("Elu", [x], alpha=layer.alpha)


@converts(Sigmoid)
def sigmoid(g, layer, x, shape, where):
    return g.op("Sigmoid", [x])


@converts(Tanh)
def tanh(g, layer, x, shape, where):
    return g.op("Tanh", [x])


@converts(Softplus)
def softplus(g, layer, x, shape, where):
    """log(1 + e^(βx))/β, and x where βx > threshold."""
    bx = g.op("Mul", [x, g.const(layer.beta)]) if layer.beta != 1.0 else x
    y = g.op("Softplus", [bx])
    if layer.beta != 1.0:
        y = g.op("Div", [y, g.const(layer.beta)])
    linear = g.op("Greater", [bx, g.const(layer.threshold)])
    return g.op("Where", [linear, x, y])


@converts(GELU)
def gelu(g, layer, x, shape, where):
    half_x = g.op("Mul", [x, g.const(0.5)])
    if layer.approximate == "tanh":   # 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))
        cube = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Add", [x, g.op("Mul", [cube, g.const(0.044715)])])
        t = g.op("Tanh", [g.op("Mul", [inner, g.const(math.sqrt(2.0 / math.pi))])])
    else:                             # 0.5 x (1 + erf(x / √2))
        t = g.op("Erf", [g.op("Mul", [x, g.const(1.0 / math.sqrt(2.0))])])
    return g.op("Mul", [half_x, g.op("Add", [t, g.const(1.0)])])


@converts(Softmax)
def softmax(g, layer, x, shape, where):
    return g.op("Softmax", [x], axis=layer.dim)


@converts(LogSoftmax)
def log_softmax(g, layer, x, shape, where):
    return g.op("LogSoftmax", [x], axis=layer.dim)


@converts(Dropout, Dropout2d, Identity)
def identity(g, layer, x, shape, where):
    return g.op("Identity", [x])


@converts(Flatten, Reshape)
def reshape(g, layer, x, shape, where):
    out = layer.output_shape(shape)
    return g.op("Reshape", [x, g.const([0, *out], "shape", np.int64)])


@converts(Permute)
def permute(g, layer, x, shape, where):
    return g.op("Transpose", [x], perm=list(layer.dims))
