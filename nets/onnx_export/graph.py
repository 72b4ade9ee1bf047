"""Building the ONNX graph: a ``GraphBuilder`` that names values uniquely and
holds the weights as initializers, and ``convert``, which dispatches a layer
to the converter registered for its class (``@converts(Linear)``), carrying
the per-sample shape along so every converter knows its input's shape."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ...layers import Layer

CONVERTERS = {}


def converts(*classes):
    """Decorator: register ``fn(g, layer, x, shape) -> output name`` for ``classes``."""
    def add(fn):
        for c in classes:
            CONVERTERS[c] = fn
        return fn
    return add


class GraphBuilder:
    def __init__(self, opset=17):
        self.nodes, self.initializers, self._n, self.opset = [], [], 0, opset

    def name(self, base):
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, value, base="const", dtype=np.float32):
        """An initializer holding ``value``; returns its name."""
        name = self.name(base)
        self.initializers.append(numpy_helper.from_array(np.array(value, dtype, order="C"), name))
        return name

    def op(self, op_type, inputs, base=None, **attrs):
        """Add one node; returns its (single) output's name."""
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=self.name(op_type), **attrs))
        return out


def convert(g, layer, x, shape, where="model"):
    """Add ``layer`` applied to value ``x`` (per-sample ``shape``); returns its output name."""
    for cls in type(layer).__mro__:
        if cls in CONVERTERS:
            return CONVERTERS[cls](g, layer, x, tuple(shape), where)
        if cls is Layer:
            break
    raise ValueError(f"{where}: layer {type(layer).__name__} cannot be exported to ONNX (no converter for it; "
                     f"exportable: {', '.join(sorted({c.__name__ for c in CONVERTERS}))})")


def build_model(net, input_shape, preprocessing=None, opset=17):
    from . import elementwise, recurrent, sequence, spatial, structure  # noqa: F401  (register the converters)
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
