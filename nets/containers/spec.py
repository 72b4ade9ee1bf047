"""Containers as config entries (``Layer.spec`` for Sequential, Residual and
Concat); the way back, a net rebuilt from its entry, is the config's model
builder's (``nets.from_spec``, in nets.builders.model).

    net.spec()                      # Sequential -> [entry, ...]: a config's ``model:`` list
    yaml.safe_dump({"model": net.spec()})
    from_spec(net.spec(), (64,))    # the same architecture, new weights

A container's entry is taken from its children as they are now (so
``Sequential.append`` counts), in the forms nets.builders.entries reads:
a list for a Sequential, ``{Residual: {layers: [block], projection: entry}}``,
``{Concat: {layers: [branch, ...], axis: 1}}``, and for a Graph
``{Graph: {inputs: [...], nodes: [...], outputs: [...]}}`` (its value is the
form of a config's ``model: {inputs, nodes, outputs}``): a node is ``{name, in,
<its layer's entry>}``, a chain ``{name, in, layers: [...]}``, a reused layer
``{name, in, share: first_node}``. A child that cannot be written is a
``layers.SpecError`` naming its dotted path ("1.block.0").
"""
from ...layers import LAYERS, SpecError
from ...layers.core.spec import registered_name

__all__ = ["SpecError", "sequential_spec", "residual_spec", "concat_spec", "graph_spec"]


def _child(name, layer):
    try:
        return layer.spec()
    except SpecError as e:
        raise e.within(name) from None


def _entries(container):
    return [_child(name, child) for name, child in container._children]


def sequential_spec(seq, plain=True):
    """A Sequential's entry: the list of its children's entries; a subclass
    (``plain`` False): ``{Name: [...]}``."""
    if plain:
        return _entries(seq)
    return {registered_name(seq, LAYERS): _entries(seq)}


def residual_spec(res):
    """``{Residual: {layers: [block entry]}}``, with ``projection: entry`` when there is one."""
    value = {"layers": [_child("block", res.block)]}
    if res.projection is not None:
        value["projection"] = _child("projection", res.projection)
    return {registered_name(res, LAYERS): value}


def concat_spec(cat):
    """``{Concat: {layers: [branch entries], axis: axis}}``."""
    return {registered_name(cat, LAYERS): {"layers": _entries(cat), "axis": cat.axis}}



def graph_body(graph):
    """``{inputs, nodes, outputs}``: a Graph as a config's ``model`` mapping."""
    nodes, first = [], {}
    for node in graph._nodes:
        names = node.input_names()
        entry = {"name": node.name, "in": names[0] if len(names) == 1 else names}
        owner = first.setdefault(id(node.layer), node.name)
        if owner != node.name:
            entry["share"] = owner
        else:
            child = _child(node.name, node.layer)
            if isinstance(child, list):
                entry["layers"] = child
            elif isinstance(child, str):
                entry[child] = {}
            else:
                entry.update(child)
        nodes.append(entry)
    return {"inputs": list(graph.inputs), "nodes": nodes, "outputs": graph.outputs}


def graph_spec(graph):
    """``{Graph: {inputs, nodes, outputs}}``."""
    return {registered_name(graph, LAYERS): graph_body(graph)}
