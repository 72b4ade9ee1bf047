"""Converters of the containers: Sequential (its children in turn), Residual
(``block(x) + projection(x)`` as Add) and Concat (every branch on the same
input, joined by Concat on the container's axis)."""
from ..containers.branches import Concat, Residual
from ..containers.sequential import Sequential
from .graph import convert, converts


@converts(Sequential)
def sequential(g, layer, x, shape, where):
    for i, child in enumerate(layer.children()):
        x, shape = convert(g, child, x, shape, f"{where}[{i}]"), tuple(child.output_shape(shape))
    return x


@converts(Residual)
def residual(g, layer, x, shape, where):
    y = convert(g, layer.block, x, shape, f"{where}.block")
    skip = x if layer.projection is None else convert(g, layer.projection, x, shape, f"{where}.projection")
    return g.op("Add", [y, skip])


@converts(Concat)
def concat(g, layer, x, shape, where):
    outs, shapes = [], []
    for i, branch in enumerate(layer.children()):
        outs.append(convert(g, branch, x, shape, f"{where}[{i}]"))
        shapes.append(tuple(branch.output_shape(shape)))
    return g.op("Concat", outs, axis=layer._axis(len(shapes[0]) + 1))
