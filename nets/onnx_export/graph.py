"""Building the ONNX graph: a ``GraphBuilder`` that names values uniquely and
holds the weights as initializers, and ``convert``, which dispatches a layer
to its converter (nets.onnx_export.registry: ``@converts(Linear)``, a layer's
``to_onnx`` method, or a plugin's), carrying the per-sample shape along so every
converter knows its input's shape. The converter modules import this one; the
ModelProto is assembled in ``model``, which imports them (so nothing here
imports back)."""
import numpy as np
from onnx import helper, numpy_helper

from .registry import CONVERTERS, converter_of, converts, missing_message  # noqa: F401  (converts: for the modules)


class GraphBuilder:
    """The graph a converter adds to: ``op`` adds a node, ``const`` a weight, ``name`` a
    fresh value name; ``opset`` is the ONNX opset being written."""

    def __init__(self, opset=17):
        self.nodes, self.initializers, self._n, self.opset = [], [], 0, opset
        self._arrays = {}       # id(array) -> (array, dtype, name): a weight used twice is stored once

    def name(self, base):
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, value, base="const", dtype=np.float32):
        """An initializer holding ``value``; returns its name. The same array (a shared
        layer's weight, converted once per node that uses it) gives the same initializer."""
        seen = self._arrays.get(id(value)) if isinstance(value, np.ndarray) else None
        if seen is not None and seen[0] is value and seen[1] == np.dtype(dtype):
            return seen[2]
        name = self.name(base)
        self.initializers.append(numpy_helper.from_array(np.array(value, dtype, order="C"), name))
        if isinstance(value, np.ndarray):
            self._arrays[id(value)] = (value, np.dtype(dtype), name)   # held: its id cannot be reused
        return name

    def op(self, op_type, inputs, base=None, **attrs):
        """Add one node; returns its (single) output's name."""
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=self.name(op_type), **attrs))
        return out


def convert(g, layer, x, shape, where="model"):
    """Add ``layer`` applied to value ``x`` (per-sample ``shape``); returns its output name.
    A layer with several inputs gets a list of value names and a list of shapes."""
    shape = [tuple(s) for s in shape] if isinstance(x, list) else tuple(shape)
    fn = converter_of(layer)
    if fn is None:
        raise ValueError(missing_message(layer, where))
    out = fn(g, layer, x, shape, where)
    if not (isinstance(out, str) or (isinstance(out, list) and out and all(isinstance(o, str) for o in out))):
        raise ValueError(f"{where}: the ONNX converter of {type(layer).__name__} returned {out!r}, not the name of "
                         f"its output (what g.op(...) returns; a list of names for several outputs)")
    return out

