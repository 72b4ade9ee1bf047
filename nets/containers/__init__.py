"""Containers: blocks made of blocks.

    sequential   Sequential: a chain
    branches     Residual (x + block(x)), Concat (branches joined along an axis)
    spec         a container as a config entry (``net.spec()``)
"""
from .sequential import Sequential
from .branches import Concat, Residual
