"""The layer table of ``kubik summary``: one row per built layer (children
of containers indented), its per-sample output shape and parameter count."""
from dataclasses import dataclass

from ...layers import Layer

from ..containers.graph import Graph
from ..containers.graph_shapes import infer_shapes


@dataclass
class Row:
    """One line of the summary table."""
    path: str
    depth: int
    layer: Layer
    output_shape: tuple
    label: str = ""
    inputs: str = ""       # a graph node: the values it takes ("a, b")
    shared: str = ""       # a graph node that reuses node ``shared``'s layer (its parameters counted there)

    @property
    def num_params(self):
        return 0 if self.shared else self.layer.num_parameters()

    def text(self):
        """The layer column: the layer (a graph node: its name, inputs and layer)."""
        text = repr(self.layer)
        if "\n" in text:
            text = type(self.layer).__name__
        if self.shared:
            text = f"shares {self.shared}"
        if self.inputs:
            return f"{self.label} <- {self.inputs}: {text}"
        return f"{self.label:>2} {text}"


def summary_table(rows, input_shape, input_names=None):
    """The text table of ``kubik summary``: one line per layer (children of
    containers indented), its per-sample output shape and parameter count; a graph's
    nodes as ``name <- inputs: layer`` (``input_shape``: a list of shapes and
    ``input_names`` their names for several inputs)."""
    shapes = input_shape if isinstance(input_shape, list) else [tuple(input_shape)]
    names = input_names or (["input"] if len(shapes) == 1 else [f"input {i}" for i in range(len(shapes))])
    lines = [(name, str(tuple(s)), "") for name, s in zip(names, shapes)]
    for r in rows:
        out = r.output_shape
        out = ", ".join(str(tuple(s)) for s in out) if isinstance(out, list) else str(out)
        lines.append(("  " * r.depth + r.text(), out, f"{r.num_params:,}"))
    head = ("layer", "output shape", "params")
    w = [max(len(line[i]) for line in lines + [head]) for i in range(3)]
    rule = "-" * (w[0] + w[1] + w[2] + 4)
    out = [f"{head[0]:<{w[0]}}  {head[1]:<{w[1]}}  {head[2]:>{w[2]}}", rule]
    out += [f"{a:<{w[0]}}  {b:<{w[1]}}  {c:>{w[2]}}" for a, b, c in lines]
    total = sum(r.num_params for r in rows if r.depth == 0)
    out += [rule, f"total parameters: {total:,}"]
    return "\n".join(out)


def _walk(layer, shape, path, label, depth, rows):
    """Rows of ``layer`` (and its children) for per-sample input ``shape``; returns its output shape.
    A Sequential chains its children; any other container feeds each child its own input."""
    row = Row(path, depth, layer, None, label)
    rows.append(row)
    children = layer._children
    if children:
        cur = tuple(shape)
        chain = type(layer).__name__ == "Sequential" or getattr(layer, "child_flow", None) == "chain"
        for name, child in children:
            cpath = f"{path}.{name}" if path else name
            if not chain and type(child).__name__ == "Sequential":   # a block: its layers, as a config shows them
                out = tuple(shape)
                for gname, grand in child._children:
                    out = _walk(grand, out, f"{cpath}.{gname}", gname, depth + 1, rows)
            else:
                out = _walk(child, cur if chain else tuple(shape), cpath, name, depth + 1, rows)
            if chain:
                cur = out
    try:
        row.output_shape = tuple(int(d) for d in layer.output_shape(tuple(shape)))
    except (ValueError, TypeError, IndexError) as e:
        raise ValueError(f"summary: layer {path or '(net)'} ({type(layer).__name__}) does not fit its input "
                         f"shape {tuple(shape)}: {e}") from None
    return row.output_shape


def _graph_rows(graph, input_shapes, depth, rows):
    """Rows of a Graph's nodes (name, inputs, output shape(s)); a node's chain indented below it."""
    try:
        shapes = infer_shapes(graph, input_shapes)
    except (ValueError, TypeError) as e:
        raise ValueError(f"summary: {e}") from None
    first = {}
    for node in graph._nodes:
        names = node.input_names()
        owner = first.setdefault(id(node.layer), node.name)
        out = [shapes[f"{node.name}:{k}"] for k in range(node.width)] if node.width > 1 else shapes[node.name]
        rows.append(Row(node.name, depth, node.layer, out, node.name, ", ".join(names),
                        owner if owner != node.name else ""))
        if owner == node.name and type(node.layer).__name__ == "Sequential":
            cur = shapes[names[0]]
            for cname, child in node.layer._children:
                cur = _walk(child, cur, f"{node.name}.{cname}", cname, depth + 1, rows)


def summary(net: Layer, input_shape, file=None) -> str:
    """Print (to ``file``, default stdout) and return the ``kubik summary`` table of a net built in
    Python, for per-sample ``input_shape`` (without the batch axis, e.g. (64,) or (1, 8, 8)):
    one row per layer with its output shape (``output_shape``) and parameter count. A layer that
    does not fit its input raises ValueError naming the layer, its input shape and what it expects.
    A Graph gets one row per node (``name <- inputs: layer``); several inputs: a list of shapes."""
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    rows = []
    if isinstance(net, Graph):                  # one row per node, as for a config's graph
        _graph_rows(net, input_shape if isinstance(input_shape, list) else [tuple(input_shape)], 0, rows)
        text = summary_table(rows, input_shape, net.inputs)
        print(text, file=file)
        return text
    if type(net).__name__ == "Sequential":      # the net itself is the table, as for a config's model
        shape = tuple(input_shape)
        for name, child in net._children:
            shape = _walk(child, shape, name, name, 0, rows)
    else:
        _walk(net, tuple(input_shape), "", "", 0, rows)
    text = summary_table(rows, input_shape)
    print(text, file=file)
    return text
