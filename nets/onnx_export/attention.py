"""Converters of the attention family, decomposed into MatMul / Softmax and friends
(opset 13+): MultiheadAttention, TransformerEncoderLayer, the positional encodings.

MultiheadAttention (queries x (N, T, E); with three inputs, keys and values (N, S, E)):

    q, k, v = MatMul(x, W_q) + b_q, ...             (N, ·, E)
    heads:  Reshape (N, ·, h, d) -> Transpose (N, h, ·, d)   (k: (N, h, d, S))
    A = Softmax(Mul(MatMul(q, kᵀ), 1/√d) + causal, axis=−1)  causal: a constant (T, S), −inf above
    O = Transpose(MatMul(A, v)) -> Reshape (N, T, E) -> MatMul(·, W_o) + b_o

The graph has no key_padding_mask input (a padded batch is cut to its length instead), and
attention dropout, off in eval mode, is not exported. TransformerEncoderLayer is its
children's converters joined by the residual Adds, in the post- or pre-norm order.
"""
import math

import numpy as np

from ...layers import MultiheadAttention, PositionalEmbedding, SinusoidalPositionalEncoding, TransformerEncoderLayer
from ...layers.attention.masks import causal_bias

from .graph import convert, converts


def _project(g, x, W, b, base):
    y = g.op("MatMul", [x, g.const(W, f"{base}_weight")])
    return y if b is None else g.op("Add", [y, g.const(b, f"{base}_bias")])


def _heads(g, x, steps, h, d, perm):
    x = g.op("Reshape", [x, g.const([0, steps, h, d], "heads_shape", np.int64)])
    return g.op("Transpose", [x], perm=perm)


@converts(MultiheadAttention)
def multihead_attention(g, layer, x, shape, where):
    E, h, d = layer.embed_dim, layer.num_heads, layer.head_dim
    xs, shapes = (x, shape) if isinstance(x, list) else ([x] * 3, [shape] * 3)
    T, S = shapes[0][0], shapes[1][0]
    W = layer.in_proj_weight.data
    b = None if layer.in_proj_bias is None else layer.in_proj_bias.data
    q, k, v = (_project(g, xi, W[:, i * E:(i + 1) * E], None if b is None else b[i * E:(i + 1) * E], name)
               for i, (xi, name) in enumerate(zip(xs, ("q", "k", "v"))))
    q = _heads(g, q, T, h, d, [0, 2, 1, 3])
    k = _heads(g, k, S, h, d, [0, 2, 3, 1])                   # kᵀ per head
    v = _heads(g, v, S, h, d, [0, 2, 1, 3])
    scores = g.op("Mul", [g.op("MatMul", [q, k]), g.const(1.0 / math.sqrt(d), "scale")])
    if layer.causal:
        scores = g.op("Add", [scores, g.const(causal_bias(T, S, np.float32), "causal")])
    A = g.op("Softmax", [scores], axis=-1)
    O = g.op("Transpose", [g.op("MatMul", [A, v])], perm=[0, 2, 1, 3])
    O = g.op("Reshape", [O, g.const([0, T, E], "concat_heads", np.int64)])
    return convert(g, layer.out_proj, O, (T, E), f"{where}.out_proj")


@converts(TransformerEncoderLayer)
def transformer_encoder_layer(g, layer, x, shape, where):
    def sub(child, value, name):
        return convert(g, child, value, shape, f"{where}.{name}")

    def ff(value):
        y = sub(layer.activation, sub(layer.linear1, value, "linear1"), "activation")
        return convert(g, layer.linear2, y, (shape[0], layer.dim_feedforward), f"{where}.linear2")

    if layer.norm_first:
        x = g.op("Add", [x, sub(layer.self_attn, sub(layer.norm1, x, "norm1"), "self_attn")])
        return g.op("Add", [x, ff(sub(layer.norm2, x, "norm2"))])
    x = sub(layer.norm1, g.op("Add", [x, sub(layer.self_attn, x, "self_attn")]), "norm1")
    return sub(layer.norm2, g.op("Add", [x, ff(x)]), "norm2")


@converts(SinusoidalPositionalEncoding)
def sinusoidal_positions(g, layer, x, shape, where):
    return g.op("Add", [x, g.const(layer.table(shape[0]), "positions")])


@converts(PositionalEmbedding)
def positional_embedding(g, layer, x, shape, where):
    return g.op("Add", [x, g.const(layer.weight.data[:shape[0]], "positions")])
