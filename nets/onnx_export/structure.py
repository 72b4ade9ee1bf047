"""Converters of the containers: Sequential (its children in turn), Residual
(``block(x) + projection(x)`` as Add) and Concat (every branch on the same
input, joined by Concat on the container's axis); and of the merge layers,
which take several values: Add (Sum), Multiply (Mul), Concatenate (Concat)."""
from ...layers import Add, Concatenate, Multiply

from ..containers.branches import Concat, Residual
from ..containers.sequential import Sequential
from .graph import convert, converts


@converts(Sequential)
def sequential(g, layer, x, shape, where):
    shapes = shape if isinstance(x, list) else [shape]      # a first child with several inputs gets them all
    for i, child in enumerate(layer.children()):
        x, shapes = convert(g, child, x, shape, f"{where}[{i}]"), child.output_shapes(*shapes)
        shape = shapes[0]
    return x


@converts(Add)
def add(g, layer, xs, shapes, where):
    return g.op("Sum", xs)


@converts(Multiply)
def multiply(g, layer, xs, shapes, where):
    y = xs[0]
    for x in xs[1:]:
        y = g.op("Mul", [y, x])
    return y


@converts(Concatenate)
def concatenate(g, layer, xs, shapes, where):
    return g.op("Concat", xs, axis=layer._axis(len(shapes[0]) + 1))


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
