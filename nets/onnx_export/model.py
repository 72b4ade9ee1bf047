"""The ONNX ModelProto of a net: the stored input scaling as the first nodes, the
net through ``graph.convert`` (every converter module imported first, so its
``@converts`` entries are in the table), the output(s), and onnx's checker. A
Graph with several inputs or outputs keeps their names as the ONNX graph's."""
import numpy as np
import onnx
from onnx import TensorProto, helper

from . import attention, cells, elementwise, recurrent, sequence, spatial, structure, vision  # noqa: F401  (converters)
from .graph import GraphBuilder, convert
from .names import io_names


def build_model(net, input_shape, preprocessing=None, opset=17):
    was = net.training
    net.eval()
    try:
        return _build(net, input_shape, preprocessing, opset)
    finally:
        net.train(was)


def _scaled(g, x, shape, shift, scale):
    """``(x − shift) / scale`` as the graph's first nodes (the stored training scaling)."""
    size = int(np.prod(shape))
    shift, scale = np.asarray(shift, np.float64), np.asarray(scale, np.float64)
    shift = shift.reshape(shape) if shift.size == size else shift.reshape(())
    scale = scale.reshape(shape) if scale.size == size else scale.reshape(())
    x = g.op("Sub", [x, g.const(shift, "shift")], "centered")
    return g.op("Div", [x, g.const(scale, "scale")], "scaled")


def _build(net, input_shape, preprocessing, opset):
    """A net with one input (``input_shape`` a tuple) or several (a list of shapes)."""
    several = isinstance(input_shape, list)
    shapes = [tuple(s) for s in input_shape] if several else [tuple(input_shape)]
    out_shapes = net.output_shapes(*shapes)
    in_names, out_names = io_names(net, len(shapes), len(out_shapes))
    g = GraphBuilder(opset)
    xs = list(in_names)
    if preprocessing is not None:
        shift, scale = preprocessing["shift"], preprocessing["scale_values"]
        stats = zip(shift, scale) if several else [(shift, scale)]
        xs = [_scaled(g, x, s, sh, sc) for x, s, (sh, sc) in zip(xs, shapes, stats)]
    ys = convert(g, net, xs if several else xs[0], shapes if several else shapes[0])
    ys = ys if isinstance(ys, list) else [ys]
    return _finish(g, list(zip(in_names, shapes)), list(zip(ys, out_names, out_shapes)), opset)


def _finish(g, inputs, outputs, opset):
    """The checked ModelProto: graph ``inputs`` (name, per-sample shape) and
    ``outputs`` (value, graph output name, per-sample shape)."""
    for y, name, _ in outputs:
        g.nodes.append(helper.make_node("Identity", [y], [name], name=f"{name}_identity"))
    graph = helper.make_graph(
        g.nodes, "kubik", [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", *s]) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", *s]) for _, n, s in outputs], g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="kubik")
    model.ir_version = min(model.ir_version, 9)   # readable by older onnxruntime releases
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:   # e.g. LayerNormalization below opset 17
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"the graph does not validate for ONNX opset {opset}: {first}") from None
    return model
