"""How a Graph runs: its nodes compiled into a plan over numbered ports.

A port holds one value: each graph input is a port, a node with k outputs owns
k consecutive ports. A node reads its inputs from ports (``"node:i"`` is port
``first + i`` of that node) and writes its outputs to its own. Forward runs the
nodes in the order they were added (a node only reads earlier ports, so that
order is topological); backward runs them in reverse, adding the gradients that
reach a port from several consumers (fan-out) and handing a node one gradient
per output (zeros for an output no gradient reaches, None-free, as PyTorch
materializes them). A node no gradient reaches at all is skipped, and so is a
node whose backward would be useless: no parameters and no input that needs a
gradient (``set_propagate_down``); a node whose inputs need no gradient is told
so (``set_propagate_down(False)``), so Linear and Conv2d skip their dX GEMM.

A layer object added under several names runs as itself for its first node and
as a *replica* for each later one: a deep copy that shares the Parameters, the
buffers and the random generators (``copy.deepcopy`` with those in the memo), so
every use keeps its own forward cache while the weights, their gradients and
running statistics stay one.
"""
import copy
from dataclasses import dataclass, field

import numpy as np

from .sequential import _reraise

_USER_ERRORS = (ValueError, TypeError, RuntimeError)


@dataclass
class Step:
    """One node of the plan."""
    name: str
    runner: object            # the layer (first use) or its replica (a later use)
    ins: tuple                # input ports
    out: int                  # first output port
    width: int                # number of outputs
    single: int = -1          # the input port when the node has exactly one input, else -1
    needed: bool = True       # its backward does something (parameters, or an input needs a gradient)
    wants: tuple = ()         # for each input: whether a gradient must go there


@dataclass
class Plan:
    steps: list
    num_ports: int
    outputs: tuple            # the ports of the graph's outputs
    need: list = field(default_factory=list)   # per port: whether anything upstream needs its gradient


def replica(layer):
    """A copy of ``layer`` with its own caches that shares its Parameters, buffers and generators."""
    memo = {id(p): p for p in layer.parameters()}
    memo.update((id(b), b) for _, b in layer.named_buffers())
    stack = [layer]
    while stack:
        lay = stack.pop()
        memo.update((id(v), v) for v in vars(lay).values() if isinstance(v, np.random.Generator))
        stack.extend(lay.children())
    twin = copy.deepcopy(layer, memo)
    stack = [twin]
    while stack:            # a forward set on an instance (diagnostics' capture) belongs to the original
        lay = stack.pop()
        lay.__dict__.pop("forward", None)
        stack.extend(lay.children())
    twin.train(layer.training)
    return twin


def compile_plan(graph):
    """The Plan of ``graph`` (replicas made for shared layers, propagate_down set per node)."""
    port = {name: i for i, name in enumerate(graph.inputs)}
    n, steps, seen = len(graph.inputs), [], {}
    need = list(graph._input_flags)
    replicas = {}
    for node in graph._nodes:
        first = seen.setdefault(id(node.layer), node.name)
        runner = node.layer if first == node.name else replica(node.layer)
        if runner is not node.layer:
            replicas[node.name] = runner
        ins = tuple(port[src] + (0 if j is None else j) for src, j in node.inputs)
        wants = tuple(need[p] for p in ins)
        has_params = bool(runner.parameters())
        step = Step(node.name, runner, ins, n, node.width, ins[0] if len(ins) == 1 else -1,
                    has_params or any(wants), wants)
        runner.set_propagate_down(any(wants))
        steps.append(step)
        port[node.name] = n
        n += node.width
        need += [step.needed] * node.width
    outputs = tuple(port[src] + (0 if j is None else j) for src, j in graph._output_refs())
    graph._replicas = replicas
    return Plan(steps, n, outputs, need)


def run_forward(graph, plan, Xs):
    """The values of every port for inputs ``Xs``; a node's error names the node."""
    vals = list(Xs) + [None] * (plan.num_ports - len(Xs))
    step = None
    try:
        for step in plan.steps:
            if step.single >= 0:
                Y = step.runner.forward(vals[step.single])
            else:
                Y = step.runner.forward(*[vals[p] for p in step.ins])
            if step.width == 1:
                vals[step.out] = Y
            else:
                if not isinstance(Y, tuple) or len(Y) != step.width:
                    raise TypeError(f"{type(step.runner).__name__} says num_outputs = {step.width}, but its forward "
                                    f"returned {type(Y).__name__}" + (f" of {len(Y)}" if isinstance(Y, tuple) else ""))
                vals[step.out:step.out + step.width] = Y
    except _USER_ERRORS as e:
        _reraise(graph, step.name, step.runner, e)
    return vals


class _Grads:
    """Gradients per port, summed at fan-out without writing into an array the
    graph does not own (a layer may hand the same G to several inputs, as Add does)."""

    def __init__(self, n):
        self.g, self.owned = [None] * n, [False] * n

    def add(self, p, G):
        cur = self.g[p]
        if cur is None:
            self.g[p] = G
        elif self.owned[p]:
            cur += G
        else:
            self.g[p], self.owned[p] = cur + G, True


def run_backward(graph, plan, vals, Gs):
    """The gradients of the graph's input ports, from ``Gs`` (one per output, None: none)."""
    grads = _Grads(plan.num_ports)
    for p, G in zip(plan.outputs, Gs):
        if G is not None:
            if np.shape(G) != np.shape(vals[p]):
                raise ValueError(f"Graph: the gradient of output {graph.outputs[plan.outputs.index(p)]!r} has shape "
                                 f"{np.shape(G)}, expected {np.shape(vals[p])}")
            grads.add(p, G)
    g = grads.g
    step = None
    try:
        for step in reversed(plan.steps):
            if not step.needed:
                continue
            if step.width == 1:
                G = g[step.out]
                if G is None:
                    continue
                dX = step.runner.backward(G)
            else:
                Gk = g[step.out:step.out + step.width]
                if all(G is None for G in Gk):
                    continue
                dX = step.runner.backward(*[np.zeros_like(vals[step.out + i]) if G is None else G
                                            for i, G in enumerate(Gk)])
            if dX is None:
                continue
            if step.single >= 0:
                if step.wants[0]:
                    grads.add(step.single, dX)
                continue
            if not isinstance(dX, tuple) or len(dX) != len(step.ins):
                raise TypeError(f"{type(step.runner).__name__} takes {len(step.ins)} inputs, so its backward must "
                                f"return a tuple of {len(step.ins)} gradients, got {type(dX).__name__}")
            for p, want, d in zip(step.ins, step.wants, dX):
                if want and d is not None:
                    grads.add(p, d)
    except _USER_ERRORS as e:
        _reraise(graph, step.name, step.runner, e)
    return g[:len(graph.inputs)]
