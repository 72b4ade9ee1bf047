"""Building the model from the config's ``model`` list, with shape inference.

Each layer's ``infer_args(input_shape)`` fills what the entry leaves out; an
explicit value must equal the inferred one. ``output_shape`` then carries the
per-sample shape to the next entry, so a mismatch is reported before training
naming both layers and the shape. Every mistake is a ConfigError whose path
(``model[2].Linear.out_feature``) nets.config turns into a YAML line; after the
first, the entries that follow are still checked for what needs no shape
(names and arguments), so one run reports them all.
"""
import inspect

from ...layers import LAYERS

from ..config import ConfigError, Problems, format_path
from ..containers.sequential import Sequential
from .arguments import call, check_args, lookup, strip_name
from .entries import (CHILD_KEYS, LAYER_ARGS, container_flow, output_shape_of, parse_entry, prev_text, produced_by,
                      show_shape)
from .graph import build_graph, is_graph
from .leaf import build_leaf
from .summary import Row


def build_layer(entry, shape, path, prev=None, rows=None, depth=0):
    """Build one entry for per-sample input ``shape``; returns (layer, output shape).
    A layer with several inputs gets a list of shapes (and one with several
    outputs gives one). ``prev`` names the entry that produced ``shape`` (for
    messages); ``rows`` collects the summary rows."""
    name, value = parse_entry(entry, path)
    cls = lookup(LAYERS, name, path)
    here = path + (name,)
    row = Row(format_path(here), depth, None, None, str(path[-1]) if path else "")
    if rows is not None:
        rows.append(row)
    if container_flow(cls) == "graph":
        layer, out = build_graph(value, shape, here, rows, depth + 1, build_layer=build_layer)
        row.layer, row.output_shape = layer, out
        return layer, out
    if container_flow(cls):
        layer = _build_container(cls, name, value, shape, here, prev, rows, depth)
    else:
        layer = build_leaf(cls, name, value, shape, here, prev)
    try:
        out = output_shape_of(layer, shape)
    except (ValueError, TypeError, IndexError) as e:
        source = f"its inputs {prev}" if isinstance(shape, list) and prev else \
            f"its input {show_shape(shape)} from {prev_text(prev)}"
        raise ConfigError(f"does not fit {source}: {strip_name(str(e), name)}", here) from None
    row.layer, row.output_shape = layer, out
    return layer, out


def _children(cls, value, here):
    """(children entries, their path, the container's own kwargs) of a container entry."""
    if isinstance(value, list):
        children, child_path, kwargs = value, here, {}
    elif isinstance(value, dict):
        keys = [k for k in CHILD_KEYS if k in value]
        if len(keys) != 1:
            raise ConfigError(f"a container takes its children as a list, or as 'layers: [...]' next to its "
                              f"arguments", here)
        children, child_path = value[keys[0]], here + (keys[0],)
        kwargs = {k: v for k, v in value.items() if k != keys[0]}
        check_args(cls, kwargs, here)
    else:
        raise ConfigError(f"a container needs a list of layers, got {value!r}", here)
    if not isinstance(children, list) or not children:
        raise ConfigError("a container needs a non-empty list of layers", child_path)
    return children, child_path, kwargs


def _build_container(cls, name, value, shape, here, prev, rows, depth):
    children, child_path, kwargs = _children(cls, value, here)
    built, cur, prev_child = [], shape, prev
    parallel = container_flow(cls) == "parallel"
    for i, child in enumerate(children):
        cpath = child_path + (i,)
        layer, out = build_layer(child, shape if parallel else cur, cpath,
                                 prev if parallel else prev_child, rows, depth + 1)
        built.append(layer)
        if not parallel:
            cur, prev_child = out, produced_by(child, cpath, out)
    for key in LAYER_ARGS:
        if kwargs.get(key) is not None:
            kwargs[key], _ = build_layer(kwargs[key], shape, here + (key,), prev, rows, depth + 1)
    sig = inspect.signature(cls).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in sig):
        return call(cls, built, kwargs, here, name)
    first = next(p.name for p in sig)
    body = built[0] if len(built) == 1 else Sequential(*built)
    return call(cls, (), {first: body, **kwargs}, here, name)


def build_model(model_cfg, input_shape, input_names=None, warnings=None, problems=None):
    """The model: a Sequential of the entries, or a Graph for the mapping form
    ``{inputs, nodes, outputs}``; returns (net, summary rows, output shape(s): a list
    for several outputs). The net's inputs are data (no input gradient). A list of
    per-sample shapes as ``input_shape`` feeds a net with several inputs (a graph
    maps them by ``input_names``); ``warnings`` collects graph warnings (ConfigErrors).
    With ``problems`` (nets.config.problems), a list entry that fails is recorded there,
    the entries after it are checked without shapes (``check_model``), and None is returned."""
    shape = [tuple(s) for s in input_shape] if isinstance(input_shape, list) else tuple(input_shape)
    if is_graph(model_cfg):
        rows = []
        net, out = build_graph(model_cfg, shape, ("model",), rows, 0, input_names, warnings, build_layer)
        return net.set_propagate_down(False), rows, out
    if not isinstance(model_cfg, list) or not model_cfg:
        raise ConfigError("expected a non-empty list of layers, or a graph {inputs, nodes, outputs}", ("model",))
    rows, built, prev = [], [], None
    for i, entry in enumerate(model_cfg):
        try:
            layer, shape = build_layer(entry, shape, ("model", i), prev, rows)
        except ConfigError as e:
            if problems is None:
                raise
            problems.add(e)
            check_model(model_cfg, problems, start=i + 1)
            return None
        built.append(layer)
        prev = produced_by(entry, ("model", i), shape)
    net = Sequential(*built).set_propagate_down(False)
    return net, rows, shape


def check_entry(entry, path):
    """The checks of an entry that need no input shape: the layer's name and its
    arguments' names and kinds (all of them), a container's children too."""
    name, value = parse_entry(entry, path)
    cls = lookup(LAYERS, name, path)
    here = path + (name,)
    if container_flow(cls):
        children, child_path, kwargs = _children(cls, value, here)
        problems = Problems()
        for i, child in enumerate(children):
            problems.run(check_entry, child, child_path + (i,))
        for key in LAYER_ARGS:
            if kwargs.get(key) is not None:
                problems.run(check_entry, kwargs[key], here + (key,))
        problems.raise_all()
    elif isinstance(value, dict):
        check_args(cls, value, here, every=True)


def check_model(model_cfg, problems, start=0):
    """``check_entry`` for each model entry from ``start`` on, each mistake recorded in ``problems``."""
    if isinstance(model_cfg, list):
        for i, entry in enumerate(model_cfg[start:], start):
            problems.run(check_entry, entry, ("model", i))


def from_spec(spec, input_shape):
    """The net an entry (``layer.spec()``) describes, built for the per-sample ``input_shape``
    (a list of shapes for a net with several inputs) by the config's model builder (fresh
    weights): a list gives a Sequential, one entry that layer. A mistake is a ConfigError
    naming the entry."""
    if isinstance(spec, list) or is_graph(spec):
        return build_model(spec, input_shape)[0]
    net = build_model([spec], input_shape)[0][0]
    return net.set_propagate_down(False)
