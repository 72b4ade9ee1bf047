"""Normalization layers.

    batchnorm   BatchNorm1d, BatchNorm2d (running statistics as buffers)
    layernorm   LayerNorm over each sample's trailing dimensions
    groupnorm   GroupNorm over groups of channels of each sample
"""
from .batchnorm import BatchNorm1d, BatchNorm2d
from .layernorm import LayerNorm
from .groupnorm import GroupNorm
