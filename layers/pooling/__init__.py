"""Pooling over windows.

    pooling         MaxPool2d, AvgPool2d (NCHW)
    maxpool2x2      MaxPool2d's compiled 2x2, stride-2 path
    adaptive_pool   AdaptiveAvgPool2d, GlobalAvgPool2d
    pooling1d       MaxPool1d, AvgPool1d on (N, C, L)
"""
from .pooling import AvgPool2d, MaxPool2d
from .adaptive_pool import AdaptiveAvgPool2d, GlobalAvgPool2d
from .pooling1d import AvgPool1d, MaxPool1d
