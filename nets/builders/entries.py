"""The forms a model entry takes, and how containers route shapes to their
children.

    - Linear: {out_features: 128}     # in_features inferred from the input shape
    - ReLU                            # no arguments
    - Dropout: 0.2                    # one value: the first argument
    - Reshape: [1, 8, 8]              # a list: positional arguments
    - Sequential: [...]               # a container: a list of entries
    - Residual: {layers: [...], projection: {Conv2d: {...}}}   # children plus arguments
    - Concat: {layers: [[...], [...]], axis: 1}
    - Graph: {inputs: [x], nodes: [...], outputs: [...]}   # layers wired by name (nets.builders.graph)
    - [...]                           # a bare list is a Sequential
"""
from ..config import ConfigError, format_path

# How a container hands its input shape to its children: "chain" (each child
# gets the previous child's output), "parallel" (every child gets the input) or
# "graph" (its nodes say: nets.builders.graph).
CONTAINERS = {"Sequential": "chain", "Residual": "chain", "Concat": "parallel", "Graph": "graph"}
CHILD_KEYS = ("layers", "branches")
LAYER_ARGS = ("projection",)     # container arguments that are layer entries, fed the container's input


def container_flow(cls):
    """"chain", "parallel", or None for a layer that is not a container."""
    for klass in cls.__mro__:
        if klass.__name__ in CONTAINERS:
            return CONTAINERS[klass.__name__]
    return getattr(cls, "child_flow", None)


def parse_entry(entry, path):
    """-> (name, value) for one model entry."""
    if isinstance(entry, list):
        return "Sequential", entry
    if isinstance(entry, str):
        return entry, None
    if isinstance(entry, dict) and len(entry) == 1:
        (name, value), = entry.items()
        if isinstance(name, str):
            return name, value
    raise ConfigError(f"a layer entry is a name (ReLU), a one-key mapping ({{Linear: {{out_features: 10}}}}) "
                      f"or a list of entries; got {entry!r}", path)


def entry_path(entry, path):
    """The path that names the layer of ``entry`` at ``path``: ('model', 2, 'Linear')."""
    return path + (parse_entry(entry, path)[0],)


def produced_by(entry, path, shape):
    """"model[2].Linear (64,)": how messages name the entry whose output is ``shape``."""
    return f"{format_path(entry_path(entry, path))} {shape}"


def prev_text(prev):
    return "the data" if prev is None else prev


def input_shapes(shape):
    """The input shapes of a layer as a list: ``[shape]`` for one per-sample shape
    (a tuple), the list itself for a layer with several inputs (a list of shapes)."""
    return [tuple(s) for s in shape] if isinstance(shape, list) else [tuple(shape)]


def show_shape(shape):
    """'(64,)' for one shape, '(3,), (4,)' for several."""
    return ", ".join(str(s) for s in input_shapes(shape))


def output_shape_of(layer, shape):
    """``layer``'s per-sample output for input ``shape`` (one shape, or a list for
    several inputs): a tuple for one output, a list of tuples for several."""
    out = [tuple(int(d) for d in s) for s in layer.output_shapes(*input_shapes(shape))]
    return out[0] if len(out) == 1 else out
