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
so (``set_propagate_down(False)``), so Linear and Conv2d skip their dX GEMM. A graph that is a plain chain (one
input, each node reading the one before, the last node the output) runs as a
Sequential does, keeping only its output.

A layer object added under several names runs as itself for its first node and
as a *replica* for each later one (``layer.shared()``, layers/core/sharing.py): a copy
that shares the Parameters, the buffers and the random generators, so every use keeps
its own forward cache while the weights, their gradients and running statistics stay one.
"""
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
    ops: list = field(default_factory=list)    # per step (runner, single, ins, out, width, needed, wants), for speed
    chain: list = None        # a graph that is a plain chain (one input, one output): its runners in order
    trained: int = 0          # a chain: how many of its last steps backward runs (the rest need no gradient)



def compile_plan(graph):
    """The Plan of ``graph`` (replicas made for shared layers, propagate_down set per node)."""
    port = {name: i for i, name in enumerate(graph.inputs)}
    n, steps, seen = len(graph.inputs), [], {}
    need = list(graph._input_flags)
    replicas = {}
    for node in graph._nodes:
        first = seen.setdefault(id(node.layer), node.name)
        runner = node.layer if first == node.name else node.layer.shared()
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
    ops = [(st.runner, st.single, st.ins, st.out, st.width, st.needed, st.wants) for st in steps]
    plan = Plan(steps, n, outputs, need, ops)
    if len(graph.inputs) == 1 and outputs == (n - 1,) and all(
            st.width == 1 and st.single == st.out - 1 for st in steps):
        plan.chain = [st.runner for st in steps]          # each node reads the one before: run it as a Sequential
        plan.trained = len(steps) - next((i for i, st in enumerate(steps) if st.needed), len(steps))
    return plan


def run_chain_forward(graph, plan, X):
    """A chain's output (its only value kept: the last, for backward's shape check)."""
    k = 0
    try:
        for k, runner in enumerate(plan.chain):
            X = runner.forward(X)
    except _USER_ERRORS as e:
        _reraise(graph, plan.steps[k].name, plan.chain[k], e)
    return X


def run_chain_backward(graph, plan, Y, G):
    """A chain's input gradient: its trained steps in reverse, as Sequential.backward."""
    if G is None:
        return None
    if getattr(G, "shape", None) != getattr(Y, "shape", None):
        raise ValueError(f"Graph: the gradient of output {graph.outputs[0]!r} has shape {np.shape(G)}, "
                         f"expected {np.shape(Y)}")
    chain, k = plan.chain, len(plan.chain)
    try:
        for k in range(len(chain) - 1, len(chain) - 1 - plan.trained, -1):
            G = chain[k].backward(G)
    except _USER_ERRORS as e:
        _reraise(graph, plan.steps[k].name, chain[k], e)
    return G if plan.trained == len(chain) else None


def run_forward(graph, plan, Xs):
    """The values of every port for inputs ``Xs``; a node's error names the node.
    (Written for speed: a graph that is a chain costs about what a Sequential does.)"""
    vals = list(Xs)
    vals.extend([None] * (plan.num_ports - len(Xs)))
    k = 0
    try:
        for k, (runner, single, ins, out, width, _, _) in enumerate(plan.ops):
            Y = runner.forward(vals[single]) if single >= 0 else runner.forward(*[vals[p] for p in ins])
            if width == 1:
                vals[out] = Y
            else:
                if not isinstance(Y, tuple) or len(Y) != width:
                    raise TypeError(f"{type(runner).__name__} says num_outputs = {width}, but its forward "
                                    f"returned {type(Y).__name__}" + (f" of {len(Y)}" if isinstance(Y, tuple) else ""))
                vals[out:out + width] = Y
    except _USER_ERRORS as e:
        step = plan.steps[k]
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


def _check_output_gradients(graph, plan, vals, Gs):
    for p, G in zip(plan.outputs, Gs):
        if G is not None and getattr(G, "shape", None) != getattr(vals[p], "shape", None):
            raise ValueError(f"Graph: the gradient of output {graph.outputs[plan.outputs.index(p)]!r} has shape "
                             f"{np.shape(G)}, expected {np.shape(vals[p])}")


def run_backward(graph, plan, vals, Gs):
    """The gradients of the graph's input ports, from ``Gs`` (one per output, None: none)."""
    _check_output_gradients(graph, plan, vals, Gs)
    grads = _Grads(plan.num_ports)
    g, add = grads.g, grads.add
    for p, G in zip(plan.outputs, Gs):
        if G is not None:
            add(p, G)
    k = len(plan.ops)
    try:
        for k in range(len(plan.ops) - 1, -1, -1):
            runner, single, ins, out, width, needed, wants = plan.ops[k]
            if not needed:
                continue
            if width == 1:
                G = g[out]
                if G is None:
                    continue
                dX = runner.backward(G)
            else:
                Gk = g[out:out + width]
                if all(G is None for G in Gk):
                    continue
                dX = runner.backward(*[np.zeros_like(vals[out + i]) if G is None else G for i, G in enumerate(Gk)])
            if dX is None:
                continue
            if single >= 0:
                if wants[0]:
                    if g[single] is None:
                        g[single] = dX
                    else:
                        add(single, dX)
                continue
            if not isinstance(dX, tuple) or len(dX) != len(ins):
                raise TypeError(f"{type(runner).__name__} takes {len(ins)} inputs, so its backward must "
                                f"return a tuple of {len(ins)} gradients, got {type(dX).__name__}")
            for p, want, d in zip(ins, wants, dX):
                if want and d is not None:
                    add(p, d)
    except _USER_ERRORS as e:
        step = plan.steps[k]
        _reraise(graph, step.name, step.runner, e)
    return g[:len(graph.inputs)]
