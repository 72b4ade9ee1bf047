"""The converter table: how a layer becomes ONNX nodes. Public, and importable
without the ``onnx`` package, so that a module of your own layers (or a plugin
package) ships their converters next to them:

    from kubik.nets.onnx_export import converts

    @converts(Swish)
    def swish(g, layer, x, shape, where):
        return g.op("Mul", [x, g.op("Sigmoid", [x])])

A converter is ``fn(g, layer, x, shape, where) -> output name``: ``g`` is the
graph being built (``g.op(op_type, inputs, **attributes)`` adds a node and
returns its output's name, ``g.const(array)`` adds a weight and returns its
name), ``x`` the name of the layer's input, ``shape`` its per-sample shape (the
batch axis is left out), ``where`` the layer's place in the net, for messages.
A layer may instead define the method ``to_onnx(self, g, x, shape)`` (the same
arguments, without ``where``). A registered converter wins over the method, a
subclass's over its base class's.

Lookup goes through the class's MRO; on a miss the ``kubik.plugins`` entry
points are loaded once (as a layer lookup does, layers.core.registry) and the
lookup tried again, so a plugin that registers a layer and its converter in one
module is found by either route."""
from ...layers import Layer
from ...layers.core.registry import load_plugins

CONVERTERS = {}


def converts(*classes):
    """Decorator: register ``fn(g, layer, x, shape, where) -> output name`` as the
    ONNX converter of the layer ``classes``."""
    for c in classes:
        if not isinstance(c, type):
            raise TypeError(f"converts: expected layer classes, got {c!r}")

    def add(fn):
        if not callable(fn):
            raise TypeError(f"converts: expected a function, got {fn!r}")
        for c in classes:
            CONVERTERS[c] = fn
        return fn
    return add


def _lookup(layer):
    for cls in type(layer).__mro__:
        if cls in CONVERTERS:
            return CONVERTERS[cls]
        if cls is Layer:
            break
    method = getattr(type(layer), "to_onnx", None)
    if callable(method):
        return lambda g, layer, x, shape, where: method(layer, g, x, shape)
    return None


def converter_of(layer):
    """The converter of ``layer`` (registered, a ``to_onnx`` method, or from a plugin), or None."""
    fn = _lookup(layer)
    if fn is None and load_plugins():
        fn = _lookup(layer)
    return fn


def missing_message(layer, where):
    """The error for a layer without a converter: what it is and how to add one."""
    name = type(layer).__name__
    known = ", ".join(sorted({c.__name__ for c in CONVERTERS}))
    return (f"{where}: layer {name} cannot be exported to ONNX (no converter for it). Add one next to the "
            f"layer: a function decorated @kubik.nets.onnx_export.converts({name}), or a method "
            f"{name}.to_onnx(self, g, x, shape) returning its output's name (see 'Export it to ONNX' in the "
            f"own-layer tutorial); exportable now: {known}")
