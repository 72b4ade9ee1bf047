"""Building a Graph from a config: ``model: {inputs, nodes, outputs}`` (or a
``Graph: {inputs, nodes, outputs}`` entry inside a list of layers).

    model:
      inputs: [x]
      nodes:
        - {name: stem, in: x, layers: [{Conv2d: {out_channels: 8, kernel_size: 3, padding: 1}}, ReLU]}
        - {name: a, in: stem, Conv2d: {out_channels: 8, kernel_size: 1}}
        - {name: cat, in: [a, stem], Concatenate: {axis: 1}}
        - {name: b, in: x2, share: stem}          # the same layer (and parameters) again
      outputs: [logits, aux]

A node has ``name``, ``in`` (a graph input or an earlier node, ``node:i`` for
output i of a node with several, or a list of them) and one layer: ``Name:
{args}``, ``layers: [...]`` (a chain), or ``share: node`` (that node's layer).
Shapes are inferred node by node, so a node names only what its layer adds.
Every mistake is a ConfigError at the node's key (an unknown input, a node used
before it is defined, a duplicate name, an output no node produces, merge
inputs whose shapes disagree, naming each input node and its shape); a node
whose output nothing uses is a warning, not an error.
"""
from ..config import ConfigError, suggest
from ..containers.graph import Graph, GraphError
from .entries import output_shape_of, show_shape
from .summary import Row

GRAPH_KEYS = ("inputs", "nodes", "outputs")
NODE_KEYS = ("name", "in", "share")


def is_graph(model_cfg):
    """Whether a config's ``model`` is the graph form (a mapping with ``nodes``)."""
    return isinstance(model_cfg, dict) and "nodes" in model_cfg


def _names(value, path, what):
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"{what} must be a name or a non-empty list of names, got {value!r}", path)
    return names


def _check_keys(value, path):
    if not isinstance(value, dict):
        raise ConfigError(f"a graph is a mapping with {', '.join(GRAPH_KEYS)}, got {value!r}", path)
    for key in value:
        if key not in GRAPH_KEYS:
            raise ConfigError(f"unknown key {key!r}{suggest(key, GRAPH_KEYS)}; a graph has "
                              f"{', '.join(GRAPH_KEYS)}", path + (key,))
    if not isinstance(value.get("nodes"), list) or not value["nodes"]:
        raise ConfigError("a graph needs a non-empty list of nodes", path + ("nodes",))


def _input_shapes(inputs, shape, names, path):
    """{input name: per-sample shape} from the data's shape(s) (and names)."""
    shapes = shape if isinstance(shape, list) else [tuple(shape)]
    if names is not None:
        if sorted(names) != sorted(inputs):
            raise ConfigError(f"the graph's inputs {inputs} must be the data's inputs {list(names)} (mapped by name)",
                              path + ("inputs",))
        return {n: tuple(shapes[list(names).index(n)]) for n in inputs}
    if len(shapes) != len(inputs):
        raise ConfigError(f"the graph takes {len(inputs)} input(s) ({', '.join(inputs)}) but the data gives "
                          f"{len(shapes)}" + (" (give data with inputs: [...], e.g. an npz with inputs: "
                                              "[x1, x2])" if len(shapes) == 1 else ""), path + ("inputs",))
    return dict(zip(inputs, (tuple(s) for s in shapes)))


def _layer_entry(node, npath):
    """(the node's layer entry, its path) from the keys besides name/in/share."""
    rest = [k for k in node if k not in NODE_KEYS]
    if "share" in node:
        if rest:
            raise ConfigError(f"a node with share: takes no layer of its own; remove {', '.join(map(str, rest))}",
                              npath + (rest[0],))
        return None, None
    if len(rest) != 1:
        found = f"; got {', '.join(map(str, rest))}" if rest else ""
        raise ConfigError(f"a node has name, in and one layer ({{Conv2d: {{...}}}}), layers: [...] (a chain) or "
                          f"share: node{found}", npath)
    key = rest[0]
    if key == "layers":
        return node[key], npath + ("layers",)
    return {key: node[key]}, npath


class _Wiring:
    """Names seen so far and what they hold, for checking each node's ``in``."""

    def __init__(self, inputs, node_names):
        self.shapes, self.widths = {}, {}
        self.all_nodes = node_names           # every node's name, to tell "later" from "unknown"
        self.inputs = inputs

    def ref(self, text, npath, node_name):
        src, sep, index = text.partition(":")
        key = npath + ("in",)
        if src == node_name:
            raise ConfigError(f"node {node_name!r} takes its own output (a graph has no cycles)", key)
        if src not in self.widths:
            if src in self.all_nodes:
                raise ConfigError(f"node {src!r} is used before it is defined (nodes run in the order they are "
                                  f"listed; move {node_name!r} after it)", key)
            known = list(self.widths)
            raise ConfigError(f"unknown input {src!r}{suggest(src, known)}; known: {', '.join(known)}", key)
        width = self.widths[src]
        if not sep and width > 1:
            raise ConfigError(f"node {src!r} has {width} outputs; pick one as '{src}:0' ... '{src}:{width - 1}'", key)
        if sep and (not index.isdigit() or int(index) >= width):
            raise ConfigError(f"{text!r} picks output {index} of {src!r}, which has {width} output(s)", key)
        return text if width > 1 else src


def build_graph(value, shape, path, rows=None, depth=0, names=None, warnings=None, build_layer=None):
    """(Graph, output shape(s)) of a graph entry for the data's per-sample ``shape``
    (a list of shapes for several inputs; ``names``: the data's input names).
    ``warnings`` collects ConfigErrors that are only warnings (unused nodes)."""
    _check_keys(value, path)
    inputs = _names(value.get("inputs", ["x"]), path + ("inputs",), "inputs")
    node_names = [n.get("name") for n in value["nodes"] if isinstance(n, dict)]
    wiring = _Wiring(inputs, node_names)
    for name, s in _input_shapes(inputs, shape, names, path).items():
        wiring.shapes[name], wiring.widths[name] = s, 1
    graph = Graph(inputs=inputs, outputs=None)
    layer_of, used = {}, set()
    for i, node in enumerate(value["nodes"]):
        npath = path + ("nodes", i)
        if not isinstance(node, dict) or "name" not in node or "in" not in node:
            raise ConfigError("a node is a mapping with name, in and its layer", npath)
        name = node["name"]
        if not isinstance(name, str) or not name or any(c in name for c in ":. "):
            raise ConfigError(f"a node name is a non-empty name without ':', '.' or spaces, got {name!r}",
                              npath + ("name",))
        if name in wiring.widths:
            what = "a graph input" if name in inputs else f"node {node_names.index(name)}"
            raise ConfigError(f"duplicate name {name!r} ({what} has it)", npath + ("name",))
        refs = [wiring.ref(t, npath, name) for t in _names(node["in"], npath + ("in",), "in")]
        used.update(r.partition(":")[0] for r in refs)
        ins = [wiring.shapes[r] for r in refs]
        prev = ", ".join(f"{r} {s}" for r, s in zip(refs, ins))
        entry, epath = _layer_entry(node, npath)
        start = len(rows) if rows is not None else 0
        if entry is None:
            layer, out = _shared(node["share"], layer_of, ins, refs, npath, prev)
            if rows is not None:
                rows.append(Row(name, depth, layer, out, name, ", ".join(refs), shared=node["share"]))
        else:
            layer, out = build_layer(entry, ins[0] if len(ins) == 1 else ins, epath, prev, rows, depth)
            if rows is not None and len(rows) > start:
                rows[start].label, rows[start].inputs = name, ", ".join(refs)
        try:
            graph.add(name, layer, refs)
        except GraphError as e:
            raise ConfigError(str(e), npath) from None
        layer_of[name] = layer
        outs = out if isinstance(out, list) else [out]
        wiring.widths[name] = len(outs)
        if len(outs) == 1:
            wiring.shapes[name] = tuple(outs[0])
        else:
            wiring.shapes.update((f"{name}:{k}", tuple(s)) for k, s in enumerate(outs))
    outputs = _names(value.get("outputs", [graph._nodes[-1].name]), path + ("outputs",), "outputs")
    for j, text in enumerate(outputs):
        src = text.partition(":")[0]
        if src not in wiring.widths or src in inputs:
            raise ConfigError(f"output {text!r} is produced by no node{suggest(src, node_names)}; nodes: "
                              f"{', '.join(node_names)}", path + ("outputs", j))
        wiring.ref(text, path + ("outputs", j), None)
        used.add(src)
    graph._outputs = list(outputs)
    for i, node in enumerate(value["nodes"]):
        if node["name"] not in used and warnings is not None:
            warnings.append(ConfigError(f"the output of node {node['name']!r} is never used (no later node takes "
                                        f"it and it is not among the outputs)", path + ("nodes", i)))
    shapes = [wiring.shapes[wiring.ref(t, path, None)] for t in outputs]
    return graph, (shapes[0] if len(shapes) == 1 else shapes)


def _shared(owner, layer_of, ins, refs, npath, prev):
    """(the layer of node ``owner``, its output shape(s) on these inputs) for ``share: owner``."""
    if not isinstance(owner, str) or owner not in layer_of:
        raise ConfigError(f"share: {owner!r} is not an earlier node{suggest(str(owner), list(layer_of))}; "
                          f"known: {', '.join(layer_of)}", npath + ("share",))
    layer = layer_of[owner]
    try:
        return layer, output_shape_of(layer, ins[0] if len(ins) == 1 else ins)
    except (ValueError, TypeError, IndexError) as e:
        raise ConfigError(f"the layer of {owner!r} does not fit the input {show_shape(ins)} from {prev}: {e}",
                          npath + ("in",)) from None
