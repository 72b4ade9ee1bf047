"""A Graph's shapes, node by node, and its printed wiring.

``infer_shapes(graph, input_shapes)`` carries per-sample shapes through the
nodes in order (``layer.output_shapes`` of each node's input shapes) and
returns the shape of every value by name (``"cell:1"`` for output 1 of a node
with several). A node that does not fit its inputs is an error naming the node,
its layer and each input with its shape::

    Graph[cat] (Concatenate) on a (8, 4, 4), b (16, 5, 5): Concatenate(axis=1): inputs must agree ...
"""


def _show(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def infer_shapes(graph, input_shapes):
    """{value name: per-sample shape} for the graph's inputs and every node's outputs."""
    if len(input_shapes) != len(graph.inputs):
        raise TypeError(f"Graph: takes {len(graph.inputs)} input shape(s) ({', '.join(graph.inputs)}), "
                        f"got {len(input_shapes)}")
    shapes = dict(zip(graph.inputs, (tuple(s) for s in input_shapes)))
    for node in graph._nodes:
        names = node.input_names()
        ins = [shapes[n] for n in names]
        try:
            outs = node.layer.output_shapes(*ins)
        except (ValueError, TypeError, IndexError) as e:
            on = ", ".join(f"{n} {_show(s)}" for n, s in zip(names, ins))
            text = str(e)
            who = "" if text.startswith(type(node.layer).__name__) else f" ({type(node.layer).__name__})"
            raise (type(e) if isinstance(e, (ValueError, TypeError)) else ValueError)(
                f"Graph[{node.name}]{who} on {on}: {text}") from e
        if node.width == 1:
            shapes[node.name] = tuple(outs[0])
        else:
            shapes.update((f"{node.name}:{i}", tuple(s)) for i, s in enumerate(outs))
    return shapes


def describe_graph(graph, indent="  "):
    """Multi-line repr: each node with its inputs, its layer and its parameter shapes;
    a node that reuses an earlier node's layer says so."""
    head = f"Graph(inputs=[{', '.join(graph.inputs)}], outputs=[{', '.join(graph.outputs)}]"
    lines, first = [head], {}
    for node in graph._nodes:
        wired = f"({node.name}) <- {', '.join(node.input_names())}"
        owner = first.setdefault(id(node.layer), node.name)
        if owner != node.name:
            lines.append(f"{indent}{wired}: shares {owner}")
            continue
        layer = node.layer
        shapes = ", ".join(f"{n} {p.shape}" for n, p in layer.named_parameters()) if not layer.children() else ""
        body = repr(layer).replace("\n", "\n" + indent)
        lines.append(f"{indent}{wired}: {body}" + (f"   # {shapes}" if shapes else ""))
    lines.append(")")
    return "\n".join(lines)
