"""A block's description as an entry of a config's ``model`` list (the one
serialization of a net), from the arguments its constructor was called with.

    layers.Linear(64, 10).spec()         -> {"Linear": {"in_features": 64, "out_features": 10}}
    layers.ReLU().spec()                 -> "ReLU"
    layers.Reshape(1, 8, 8).spec()       -> {"Reshape": [1, 8, 8]}
    nets.Sequential(...).spec()          -> [entry, entry, ...]

``Layer.__init_subclass__`` (and ``Loss``'s) wraps every ``__init__`` with
``recording``: the outermost call (the most-derived class's) keeps its
arguments; the calls its ``super().__init__`` makes are not recorded. They
are bound to the signature only when ``spec()`` asks, so building a layer
costs one tuple. Only what a YAML file can hold goes into an entry: None,
bools, numbers, strings, lists and mappings of them (tuples become lists, a
numpy scalar its Python value, a dtype its name). An ``rng`` argument (a
seed or a Generator) is left out: weights are loaded, not drawn again. Anything else (an array, a
Generator, a user object), an unregistered class or a layer made without its
constructor is a ``SpecError`` naming the layer and the argument.
"""
import functools
import inspect

import numpy as np

_PLAIN = (type(None), bool, int, float, str)


class SpecError(ValueError):
    """A block that cannot be written as a config entry. ``path``: the layer's
    dotted name in the net ("" for the net itself), ``kind``: its class name,
    ``reason``: why."""

    def __init__(self, reason, kind, path=""):
        self.reason, self.kind, self.path = reason, kind, path
        where = f"layer '{path}'" if path else "the net"
        super().__init__(f"{where} ({kind}): {reason}")

    def within(self, name):
        """The same error seen from the container that holds this layer as child ``name``."""
        return SpecError(self.reason, self.kind, f"{name}.{self.path}" if self.path else str(name))


def recording(init):
    """``init`` wrapped so that the outermost call (``type(self).__init__``, the class's own
    signature) records ``(args, kwargs)`` in ``_init_call``."""
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        if "_init_call" in self.__dict__:          # called by a subclass's __init__: not the outermost
            return init(self, *args, **kwargs)
        self.__dict__["_init_call"] = None
        init(self, *args, **kwargs)
        self.__dict__["_init_call"] = (args, kwargs)
    wrapper.records_call = True
    return wrapper


def record_init(cls):
    """Wrap ``cls``'s own ``__init__`` (if it defines one) with ``recording``; called by the
    ``__init_subclass__`` of Layer, Loss, Optimizer and Schedule."""
    init = cls.__dict__.get("__init__")
    if init is not None and not getattr(init, "records_call", False):
        cls.__init__ = recording(init)


def plain(value, arg, kind):
    """``value`` as YAML-able data, or SpecError naming argument ``arg`` of a ``kind``."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, (list, tuple)):
        return [plain(v, arg, kind) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain(v, arg, kind) for k, v in value.items()}
    what = (f"an array of shape {value.shape}" if isinstance(value, np.ndarray)
            else f"a {type(value).__module__}.{type(value).__qualname__}")
    raise SpecError(f"argument {arg!r} is {what}, which a config entry cannot hold", kind)


def registered_name(obj, registry, what="layer"):
    """The name ``registry`` knows ``type(obj)`` by; SpecError if it is not registered."""
    name = registry.name_of(type(obj))
    if name is None:
        kind = type(obj).__name__
        raise SpecError(f"{kind} is not a registered {what} (decorate the class with @register), so a config "
                        f"cannot name it", kind)
    return name


def init_arguments(obj):
    """(positional values of a ``*args`` parameter, {name: value}) of ``obj``'s recorded constructor call."""
    call = obj.__dict__.get("_init_call")
    kind = type(obj).__name__
    if call is None:
        raise SpecError("was not made by calling its class (no constructor arguments recorded)", kind)
    args, kwargs = call
    signature = inspect.signature(type(obj).__init__)          # the outermost call's (wrapper: __wrapped__)
    try:
        bound = signature.bind(obj, *args, **kwargs).arguments
    except TypeError as e:       # made through another __init__ than its class's own
        raise SpecError(f"its recorded arguments do not fit {kind}.__init__ ({e})", kind) from None
    params = signature.parameters
    positional, named = [], {}
    for name, value in list(bound.items())[1:]:          # without self
        p = params[name]
        if p.kind is p.VAR_POSITIONAL:
            positional = [plain(v, name, kind) for v in value]
        elif p.kind is p.VAR_KEYWORD:
            named.update((k, plain(v, k, kind)) for k, v in value.items())
        elif name == "rng":
            continue                                       # a seed or Generator: weights are loaded, not drawn
        else:
            named[name] = plain(value, name, kind)
    return positional, named


def entry(obj, registry, what="layer"):
    """``obj`` as a config entry: "Name", {"Name": {arguments}} or {"Name": [positional values]}."""
    name = registered_name(obj, registry, what)
    positional, named = init_arguments(obj)
    if positional and named:
        raise SpecError("was given values for *args and named arguments together, which one entry cannot hold",
                        type(obj).__name__)
    if positional:
        return {name: positional}
    return {name: named} if named else name
