"""Merge layers: several inputs in, one output out (fan-in of a graph).

    base          Merge: at least two inputs, same batch, errors naming every input's shape
    elementwise   Add, Multiply (inputs of one shape)
    concatenate   Concatenate(axis=1): torch.cat along a non-batch axis
"""
from .base import Merge
from .concatenate import Concatenate
from .elementwise import Add, Multiply
