"""Converters of the vision blocks: ConvTranspose2d / ConvTranspose1d (ConvTranspose,
PyTorch's weight layout is ONNX's), Upsample (Resize: nearest as PyTorch's floor of
the asymmetric source coordinate, (bi)linear with half-pixel or align-corners
coordinates), ZeroPad2d (Slice for cropped sides, then Pad), GroupNorm (Reshape to
(N, G, -1), InstanceNormalization, Reshape back, then the per-channel affine),
PReLU (PRelu), SiLU (x·Sigmoid(x)), Mish (x·Tanh(Softplus(x))) and Hardtanh (Clip)."""
import numpy as np

from ...layers import ConvTranspose1d, ConvTranspose2d, GroupNorm, Hardtanh, Mish, PReLU, SiLU, Upsample, ZeroPad2d

from .graph import converts


@converts(ConvTranspose2d)
def conv_transpose2d(g, layer, x, shape, where):
    return _conv_transpose(g, layer, x, list(layer.kernel_size), list(layer.stride), list(layer.padding),
                           list(layer.output_padding), list(layer.dilation))


@converts(ConvTranspose1d)
def conv_transpose1d(g, layer, x, shape, where):
    return _conv_transpose(g, layer, x, [layer.kernel_size], [layer.stride], [layer.padding],
                           [layer.output_padding], [layer.dilation])


def _conv_transpose(g, layer, x, kernel, strides, padding, output_padding, dilations):
    inputs = [x, g.const(layer.weight.data, "weight")]
    if layer.bias is not None:
        inputs.append(g.const(layer.bias.data, "bias"))
    return g.op("ConvTranspose", inputs, kernel_shape=kernel, strides=strides, pads=padding + padding,
                output_padding=output_padding, dilations=dilations, group=layer.groups)


@converts(Upsample)
def upsample(g, layer, x, shape, where):
    out = layer.output_shape(shape)
    if layer.mode == "nearest":
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    else:
        attrs = {"mode": "linear", "coordinate_transformation_mode":
                 "align_corners" if layer.align_corners else "pytorch_half_pixel"}
    roi = g.const(np.zeros(0), "roi")
    if layer.scale_factor is not None:   # PyTorch then maps back with 1/scale_factor, as Resize with scales does
        factors = list(layer.scale_factor) * (len(shape) - 1 if len(layer.scale_factor) == 1 else 1)
        return g.op("Resize", [x, roi, g.const([1.0, 1.0] + [float(f) for f in factors], "scales")], **attrs)
    batch_channels = g.op("Slice", [g.op("Shape", [x]), g.const([0], "starts", np.int64),
                                    g.const([2], "ends", np.int64)])
    sizes = g.op("Concat", [batch_channels, g.const(list(out[1:]), "sizes", np.int64)], axis=0)
    return g.op("Resize", [x, roi, g.const(np.zeros(0), "scales"), sizes], **attrs)


@converts(ZeroPad2d)
def zero_pad(g, layer, x, shape, where):
    left, right, top, bottom = layer.padding
    rank = len(shape) + 1
    if min(layer.padding) < 0:               # crop first: Slice the negative sides off
        H, W = shape[-2:]
        x = g.op("Slice", [x, g.const([max(-top, 0), max(-left, 0)], "starts", np.int64),
                           g.const([H - max(-bottom, 0), W - max(-right, 0)], "ends", np.int64),
                           g.const([rank - 2, rank - 1], "axes", np.int64)])
    begin, end = [0] * rank, [0] * rank
    begin[-2:], end[-2:] = [max(top, 0), max(left, 0)], [max(bottom, 0), max(right, 0)]
    return g.op("Pad", [x, g.const(begin + end, "pads", np.int64)], mode="constant")


@converts(GroupNorm)
def group_norm(g, layer, x, shape, where):
    G = layer.num_groups
    y = g.op("Reshape", [x, g.const([0, G, -1], "groups", np.int64)])
    y = g.op("InstanceNormalization", [y, g.const(np.ones(G), "ones"), g.const(np.zeros(G), "zeros")],
             epsilon=layer.eps)
    y = g.op("Reshape", [y, g.const([0, *shape], "shape", np.int64)])
    if not layer.affine:
        return y
    per_channel = (layer.num_channels,) + (1,) * (len(shape) - 1)
    y = g.op("Mul", [y, g.const(layer.weight.data.reshape(per_channel), "gamma")])
    return g.op("Add", [y, g.const(layer.bias.data.reshape(per_channel), "beta")])


@converts(PReLU)
def prelu(g, layer, x, shape, where):
    a = layer.weight.data
    slope = a.reshape((-1,) + (1,) * (len(shape) - 1)) if layer.num_parameters > 1 else a
    return g.op("PRelu", [x, g.const(slope, "slope")])


@converts(SiLU)
def silu(g, layer, x, shape, where):
    return g.op("Mul", [x, g.op("Sigmoid", [x])])


@converts(Mish)
def mish(g, layer, x, shape, where):
    return g.op("Mul", [x, g.op("Tanh", [g.op("Softplus", [x])])])


@converts(Hardtanh)
def hardtanh(g, layer, x, shape, where):
    return g.op("Clip", [x, g.const(layer.min_val, "min"), g.const(layer.max_val, "max")])
