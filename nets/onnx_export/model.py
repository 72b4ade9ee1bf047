"""The ONNX ModelProto of a net: the stored input scaling as the first nodes, the
net through ``graph.convert`` (every converter module imported first, so its
``@converts`` entries are in the table), the output, and onnx's checker."""
import numpy as np
import onnx
from onnx import TensorProto, helper

from . import attention, cells, elementwise, recurrent, sequence, spatial, structure, vision  # noqa: F401  (converters)
from .graph import GraphBuilder, convert


def build_model(net, input_shape, preprocessing=None, opset=17):
    was = net.training
    net.eval()
    try:
        return _build(net, input_shape, preprocessing, opset)
    finally:
        net.train(was)


def _build(net, input_shape, preprocessing, opset):
    if isinstance(input_shape, list):          # several inputs: a list of per-sample shapes
        return _build_several(net, input_shape, preprocessing, opset)
    g = GraphBuilder(opset)
    x = "input"
    if preprocessing is not None:
        size = int(np.prod(input_shape))
        shift, scale = (np.asarray(preprocessing[k], np.float64) for k in ("shift", "scale_values"))
        shift = shift.reshape(input_shape) if shift.size == size else shift.reshape(())
        scale = scale.reshape(input_shape) if scale.size == size else scale.reshape(())
        x = g.op("Sub", [x, g.const(shift, "shift")], "centered")
        x = g.op("Div", [x, g.const(scale, "scale")], "scaled")
    y = convert(g, net, x, input_shape)
    return _finish(g, [("input", input_shape)], _outputs(net, y, [tuple(input_shape)]), opset)


def _build_several(net, input_shapes, preprocessing, opset):
    """A net with several inputs: graph inputs ``input_0``, ``input_1``, ..."""
    if preprocessing is not None:
        raise ValueError("input scaling in the ONNX graph is for a net with one input")
    g = GraphBuilder(opset)
    names = [f"input_{i}" for i in range(len(input_shapes))]
    y = convert(g, net, names, input_shapes)
    return _finish(g, list(zip(names, input_shapes)), _outputs(net, y, input_shapes), opset)


def _outputs(net, y, input_shapes):
    """(value, graph output name, per-sample shape) of each output: ``output``, or ``output_0``,
    ``output_1``, ... for a net with several (a converter then returns a list of values)."""
    shapes = net.output_shapes(*input_shapes)
    if len(shapes) == 1:
        return [(y, "output", shapes[0])]
    return [(v, f"output_{i}", s) for i, (v, s) in enumerate(zip(y, shapes))]


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
