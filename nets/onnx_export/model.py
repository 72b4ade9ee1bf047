"""The ONNX ModelProto of a net: the stored input scaling as the first nodes, the
net through ``graph.convert`` (every converter module imported first, so its
``@converts`` entries are in the table), the output, and onnx's checker."""
import numpy as np
import onnx
from onnx import TensorProto, helper

from . import elementwise, recurrent, sequence, spatial, structure, vision  # noqa: F401  (register the converters)
from .graph import GraphBuilder, convert


def build_model(net, input_shape, preprocessing=None, opset=17):
    was = net.training
    net.eval()
    try:
        return _build(net, input_shape, preprocessing, opset)
    finally:
        net.train(was)


def _build(net, input_shape, preprocessing, opset):
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
    out_shape = tuple(net.output_shape(tuple(input_shape)))
    g.nodes.append(helper.make_node("Identity", [y], ["output"], name="output_identity"))
    graph = helper.make_graph(
        g.nodes, "kubik", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *input_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *out_shape])], g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="kubik")
    model.ir_version = min(model.ir_version, 9)   # readable by older onnxruntime releases
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:   # e.g. LayerNormalization below opset 17
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"the graph does not validate for ONNX opset {opset}: {first}") from None
    return model
