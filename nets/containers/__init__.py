"""Containers: blocks made of blocks.

    sequential   Sequential: a chain
    branches     Residual (x + block(x)), Concat (branches joined along an axis)
    graph        Graph: layers wired by name (fan-out, fan-in, several inputs and outputs, shared layers)
    graph_plan   how a Graph runs: ports, forward in order, backward in reverse, replicas of shared layers
    graph_shapes a Graph's shape inference node by node, and its printed wiring
    spec         a container as a config entry (``net.spec()``)
"""
from .sequential import Sequential
from .branches import Concat, Residual
from .graph import Graph, GraphError
