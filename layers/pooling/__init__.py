"""Pooling and resampling over windows and grids.

    pooling         MaxPool2d, AvgPool2d (NCHW)
    maxpool2x2      MaxPool2d's compiled 2x2, stride-2 path
    adaptive_pool   AdaptiveAvgPool2d, GlobalAvgPool2d
    pooling1d       MaxPool1d, AvgPool1d on (N, C, L)
    upsample        Upsample: nearest and (bi)linear, (N, C, L) and (N, C, H, W)
    padding         ZeroPad2d
"""
from .pooling import AvgPool2d, MaxPool2d
from .adaptive_pool import AdaptiveAvgPool2d, GlobalAvgPool2d
from .pooling1d import AvgPool1d, MaxPool1d
from .upsample import Upsample
from .padding import ZeroPad2d
