"""Graph: layers wired by name, Caffe's bottoms and tops and Torch7's nngraph in one container.

    g = nets.Graph(inputs=["x"], outputs=["logits", "aux"])
    g.add("stem", nets.Sequential(layers.Conv2d(1, 8, 3, padding=1), layers.ReLU()), "x")
    g.add("a", layers.Conv2d(8, 8, 1), "stem")
    g.add("b", layers.Conv2d(8, 8, 3, padding=1), "stem")      # fan-out: gradients add up
    g.add("cat", layers.Concatenate(axis=1), ["a", "b"])       # fan-in: a multi-input layer
    ...
    logits, aux = g.forward(X)         # one output: an array; several: a tuple in ``outputs`` order
    dX = g.backward(G_logits, None)    # one gradient per output; None: no gradient from it

The chain rule on a graph: forward runs the nodes in the order they were added;
backward runs them in reverse, and where a value fed several nodes (fan-out)
its gradient is the sum of what each consumer sends back, dX = Σ_c J_cᵀ G_c.
Execution lives in graph_plan, shape inference and the printed wiring in
graph_shapes, the config entry in spec.
"""
import difflib

from ...layers import Layer, register

from .graph_plan import compile_plan, run_backward, run_chain_backward, run_chain_forward, run_forward
from .graph_shapes import describe_graph, infer_shapes
from .spec import graph_spec


class GraphError(ValueError):
    """A graph wired wrongly: an unknown or later input, a duplicate name, an output no node produces."""


class Node:
    """A node: its name, its layer and its inputs as (source name, output index or None)."""
    __slots__ = ("name", "layer", "inputs", "width")

    def __init__(self, name, layer, inputs):
        self.name, self.layer, self.inputs = name, layer, inputs
        self.width = int(layer.num_outputs)

    def input_names(self):
        return [src if j is None else f"{src}:{j}" for src, j in self.inputs]


def _names(value, what):
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
    if not names or not all(isinstance(n, str) and n for n in names):
        raise GraphError(f"Graph: {what} must be a name or a non-empty list of names, got {value!r}")
    return names


def _check_name(name, what):
    if not isinstance(name, str) or not name or any(c in name for c in ":. "):
        raise GraphError(f"Graph: {what} {name!r} must be a non-empty name without ':', '.' or spaces")


@register
class Graph(Layer):
    """Layers wired by name into a directed acyclic graph (see the module docstring).

    ``inputs``: the names of the graph's inputs (``forward(X1, X2, ...)`` in this
    order); ``outputs``: the names of the nodes (``"node:i"`` for output i of a node
    with several) whose values ``forward`` returns, one array or a tuple in this
    order (default: the last node added). ``add(name, layer, inputs)`` appends a
    node fed by graph inputs or earlier nodes and returns the graph. The same layer
    object added under two names shares its parameters (their gradients add up) and
    keeps a forward cache per use. Parameters are named by node: ``"a.weight"``,
    ``"stem.0.weight"`` (a shared layer by its first node). ``backward(G1, G2, ...)``
    takes one gradient per output (None: no gradient from that output) and returns
    dX, or a tuple (dX1, dX2, ...) for several inputs (None for an input no gradient
    reaches, or that ``set_propagate_down`` marked as data).
    """

    def __init__(self, inputs=("x",), outputs=None):
        super().__init__()
        self.inputs = _names(inputs, "inputs")
        for name in self.inputs:
            _check_name(name, "input")
        if len(set(self.inputs)) != len(self.inputs):
            raise GraphError(f"Graph: inputs {self.inputs} name one input twice")
        self._outputs = None if outputs is None else _names(outputs, "outputs")
        self._nodes, self._by_name, self._replicas = [], {}, {}
        self._input_flags = [True] * len(self.inputs)
        self._plan = None
        self._vals = None

    # -- building ----------------------------------------------------------------------------------
    def add(self, name, layer, inputs):
        """Append node ``name`` computing ``layer`` on ``inputs`` (a name or a list of
        names: graph inputs or earlier nodes, ``"node:i"`` for output i of a node with
        several outputs); returns the graph."""
        _check_name(name, "node name")
        if name in self._by_name or name in self.inputs:
            raise GraphError(f"Graph.add({name!r}): the name {name!r} is already taken by "
                             f"{'a graph input' if name in self.inputs else 'an earlier node'}")
        if not isinstance(layer, Layer):
            raise TypeError(f"Graph.add({name!r}): expected a Layer, got {type(layer).__name__}")
        refs = [self._ref(f"Graph.add({name!r})", text, name) for text in _names(inputs, f"the inputs of node {name!r}")]
        node = Node(name, layer, refs)
        if not any(n.layer is layer for n in self._nodes):
            self.add_child(name, layer)             # its parameters are named by this first node
        self._nodes.append(node)
        self._by_name[name] = node
        self._plan = None
        return self

    def _ref(self, who, text, node=None):
        """(source, output index or None) for an input reference ``"a"`` or ``"a:1"``;
        ``who`` starts the error messages."""
        src, sep, index = text.partition(":")
        known = self.inputs + list(self._by_name)
        if src == node:
            raise GraphError(f"{who}: node {node!r} takes its own output (a cycle)")
        if src not in known:
            close = difflib.get_close_matches(src, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise GraphError(f"{who}: input {src!r} is neither a graph input nor an earlier node{hint}; "
                             f"known: {', '.join(known)} (nodes run in the order they are added, so a graph has "
                             f"no cycles)")
        width = 1 if src in self.inputs else self._by_name[src].width
        if not sep:
            if width > 1:
                raise GraphError(f"{who}: node {src!r} has {width} outputs; pick one as "
                                 f"'{src}:0' ... '{src}:{width - 1}'")
            return src, None
        if not index.isdigit() or int(index) >= width:
            raise GraphError(f"{who}: {text!r} picks output {index} of {src!r}, which has "
                             f"{width} output(s) ('{src}:0'{f' ... {src}:{width - 1}' if width > 1 else ''})")
        return src, (int(index) if width > 1 else None)

    @property
    def outputs(self):
        """The names of the outputs (the last node's name when none were given)."""
        if self._outputs is not None:
            return list(self._outputs)
        return [self._nodes[-1].name] if self._nodes else []

    @property
    def num_outputs(self):
        return max(1, len(self.outputs))

    def _output_refs(self):
        if not self._nodes:
            raise GraphError("Graph: has no nodes; add some with add(name, layer, inputs)")
        refs = []
        for text in self.outputs:
            src = text.partition(":")[0]
            if src not in self._by_name and src not in self.inputs:
                close = difflib.get_close_matches(src, list(self._by_name), n=1)
                raise GraphError(f"Graph: output {text!r} is produced by no node"
                                 + (f" (did you mean {close[0]!r}?)" if close else "")
                                 + f"; nodes: {', '.join(self._by_name)}")
            refs.append(self._ref("Graph outputs", text))
        return refs

    def nodes(self):
        """(name, layer, input names) of every node, in order."""
        return [(n.name, n.layer, n.input_names()) for n in self._nodes]

    def __getitem__(self, name):
        """The layer of node ``name``."""
        if name not in self._by_name:
            raise KeyError(f"Graph: no node {name!r}; nodes: {', '.join(self._by_name)}")
        return self._by_name[name].layer

    def __len__(self):
        return len(self._nodes)

    # -- running -------------------------------------------------------------------------------------
    def _compiled(self):
        if self._plan is None:
            self._plan = compile_plan(self)
        return self._plan

    def forward(self, X, *more):
        plan = self._plan or self._compiled()
        if len(more) + 1 != len(self.inputs):
            raise TypeError(f"Graph: takes {len(self.inputs)} input(s) ({', '.join(self.inputs)}), got {len(more) + 1}")
        self._vals = None       # the last step's values: let the layers' recycled buffers be reused
        if plan.chain is not None:
            Y = run_chain_forward(self, plan, X)
            self._vals = Y
            return Y
        vals = self._vals = run_forward(self, plan, (X,) + more)
        if len(plan.outputs) == 1:
            return vals[plan.outputs[0]]
        return tuple(vals[p] for p in plan.outputs)

    def backward(self, G, *more):
        plan, vals = self._plan, self._vals
        if plan is None or vals is None:
            raise RuntimeError("Graph: backward called before forward")
        if len(more) + 1 != len(plan.outputs):
            raise TypeError(f"Graph: backward takes one gradient per output ({', '.join(self.outputs)}), "
                            f"got {len(more) + 1}")
        if plan.chain is not None:
            dX = run_chain_backward(self, plan, vals, G)
            return dX if self.propagate_down else None
        dXs = run_backward(self, plan, vals, (G,) + more)
        if not any(self._input_flags):
            return None
        return dXs[0] if len(dXs) == 1 else tuple(dXs)

    def set_propagate_down(self, flag=True):
        """False (or one flag per input): those inputs are data and get no gradient;
        nodes fed only by them skip their dX."""
        flags = list(flag) if isinstance(flag, (list, tuple)) else [flag] * len(self.inputs)
        if len(flags) != len(self.inputs):
            raise ValueError(f"Graph.set_propagate_down: give one flag per input ({', '.join(self.inputs)}), "
                             f"got {len(flags)}")
        self._input_flags = [bool(f) for f in flags]
        self.propagate_down = any(self._input_flags)
        self._plan = None
        return self

    def output_shape(self, input_shape, *more):
        shapes = infer_shapes(self, [tuple(input_shape)] + [tuple(s) for s in more])
        outs = [shapes[self._port_name(r)] for r in self._output_refs()]
        return outs[0] if len(outs) == 1 else tuple(outs)

    @staticmethod
    def _port_name(ref):
        src, j = ref
        return src if j is None else f"{src}:{j}"

    # -- modes and dtypes ------------------------------------------------------------------------
    def train(self, mode=True):
        super().train(mode)
        for twin in self._replicas.values():
            twin.train(mode)
        return self

    def _astype_hook(self, dtype):
        self._plan, self._vals, self._replicas = None, None, {}   # replicas are made again from the converted layers

    spec = graph_spec

    def __repr__(self):
        return describe_graph(self)
