"""One layer, several uses: ``layer.shared()`` (Torch7's ``clone('weight', 'bias')``).

A layer caches what its backward needs in its last forward, so a layer used twice in
one forward (a Siamese encoder, a cell unrolled over time, a Graph node added under two
names) needs one copy per use. ``replica(layer)`` is a deep copy that shares, by
identity, every Parameter (so the gradients of all uses add up in one ``grad``), every
buffer (running statistics stay one) and every random generator (dropout draws one
stream), while each copy keeps its own forward cache. The copy has the original's mode.
"""
import copy

import numpy as np


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
