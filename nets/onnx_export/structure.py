"""Converters of the containers: Sequential (its children in turn), Residual
(``block(x) + projection(x)`` as Add), Concat (every branch on the same
input, joined by Concat on the container's axis) and Graph (its nodes in
order, each reading the ONNX values of its inputs: a graph stays a graph; a
node used twice with one layer becomes two sets of nodes on the same weights);
and of the merge layers, which take several values: Add (Sum), Multiply (Mul),
Concatenate (Concat). A converter of a layer with several outputs returns a
list of value names."""
from ...layers import Add, Concatenate, Multiply

from ..containers.branches import Concat, Residual
from ..containers.graph import Graph
from ..containers.graph_shapes import infer_shapes
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


@converts(Graph)
def graph(g, layer, x, shape, where):
    xs, shapes = (x, shape) if isinstance(x, list) else ([x], [shape])
    values = dict(zip(layer.inputs, xs))
    known = infer_shapes(layer, shapes)
    for node in layer._nodes:
        names = node.input_names()
        ins = [values[n] for n in names]
        in_shapes = [known[n] for n in names]
        y = convert(g, node.layer, ins if len(ins) > 1 else ins[0], in_shapes if len(ins) > 1 else in_shapes[0],
                    f"{where}[{node.name}]")
        if node.width == 1:
            values[node.name] = y
        else:
            values.update((f"{node.name}:{i}", v) for i, v in enumerate(y))
    outs = [values[n] for n in layer.outputs]
    return outs if len(outs) > 1 else outs[0]
