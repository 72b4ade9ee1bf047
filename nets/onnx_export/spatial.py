"""Converters of the image and normalization layers: Conv2d (Conv, with
stride, padding, dilation and groups), MaxPool2d / AvgPool2d, GlobalAvgPool2d,
AdaptiveAvgPool2d (two MatMuls with the bin-averaging matrices), BatchNorm (and
SyncBatchNorm) in eval mode (BatchNormalization with the running statistics) and LayerNorm
(LayerNormalization, opset 17)."""
import numpy as np

from ...layers import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, GlobalAvgPool2d, LayerNorm,
                       MaxPool2d)
from ...layers.pooling.adaptive_pool import _bins
from ..distributed import SyncBatchNorm

from .graph import converts


def _pads(padding):
    return [padding[0], padding[1], padding[0], padding[1]]


@converts(Conv2d)
def conv2d(g, layer, x, shape, where):
    inputs = [x, g.const(layer.weight.data, "weight")]
    if layer.bias is not None:
        inputs.append(g.const(layer.bias.data, "bias"))
    return g.op("Conv", inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
                pads=_pads(layer.padding), dilations=list(layer.dilation), group=layer.groups)


@converts(MaxPool2d)
def max_pool(g, layer, x, shape, where):
    return g.op("MaxPool", [x], kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
                pads=_pads(layer.padding), dilations=list(layer.dilation))


@converts(AvgPool2d)
def avg_pool(g, layer, x, shape, where):
    return g.op("AveragePool", [x], kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
                pads=_pads(layer.padding), count_include_pad=int(layer.count_include_pad))


@converts(GlobalAvgPool2d)
def global_avg_pool(g, layer, x, shape, where):
    y = g.op("GlobalAveragePool", [x])
    if not layer.keepdim:
        y = g.op("Reshape", [y, g.const([0, shape[0]], "shape", np.int64)])
    return y


@converts(AdaptiveAvgPool2d)
def adaptive_avg_pool(g, layer, x, shape, where):
    _, ho, wo = layer.output_shape(shape)
    Ah, Aw = _bins(shape[1], ho), _bins(shape[2], wo)
    y = g.op("MatMul", [g.const(Ah, "bins_h"), x])          # (Ho, H) @ (N, C, H, W) -> (N, C, Ho, W)
    return g.op("MatMul", [y, g.const(Aw.T, "bins_w")])     # ... @ (W, Wo) -> (N, C, Ho, Wo)


@converts(BatchNorm1d, BatchNorm2d, SyncBatchNorm)
def batch_norm(g, layer, x, shape, where):
    if not layer.track_running_stats:
        raise ValueError(f"{where}: {type(layer).__name__}(track_running_stats=False) normalizes with batch "
                         f"statistics in eval mode too, which ONNX's BatchNormalization cannot express")
    C = layer.num_features
    gamma = layer.weight.data if layer.affine else np.ones(C)
    beta = layer.bias.data if layer.affine else np.zeros(C)
    return g.op("BatchNormalization", [x, g.const(gamma, "gamma"), g.const(beta, "beta"),
                                       g.const(layer.running_mean, "running_mean"),
                                       g.const(layer.running_var, "running_var")], epsilon=layer.eps)


@converts(LayerNorm)
def layer_norm(g, layer, x, shape, where):
    norm = layer.normalized_shape
    scale = layer.weight.data if layer.elementwise_affine else np.ones(norm)
    bias = layer.bias.data if getattr(layer, "bias", None) is not None else np.zeros(norm)
    return g.op("LayerNormalization", [x, g.const(scale, "scale"), g.const(bias, "bias")],
                axis=-len(norm), epsilon=layer.eps)
