"""Normalization layers.

    batchnorm   BatchNorm1d, BatchNorm2d (running statistics as buffers)
    layernorm   LayerNorm over each sample's trailing dimensions
"""
from .batchnorm import BatchNorm1d, BatchNorm2d
from .layernorm import LayerNorm
