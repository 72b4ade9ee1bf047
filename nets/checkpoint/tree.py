"""Nested states (dicts, lists, numbers, arrays) split into JSON-able
metadata and a flat dict of arrays, and joined again."""
import numpy as np


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def flatten(tree, prefix, arrays):
    """A JSON-able copy of ``tree`` whose numpy arrays are moved into
    ``arrays`` under '<prefix>/<path>' and replaced by {"__array__": key}."""
    if isinstance(tree, np.ndarray):
        arrays[prefix] = tree
        return {"__array__": prefix}
    if isinstance(tree, dict):
        return {str(k): flatten(v, f"{prefix}/{k}", arrays) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [flatten(v, f"{prefix}/{i}", arrays) for i, v in enumerate(tree)]
    return _plain(tree)


def unflatten(tree, arrays):
    """The inverse of ``flatten``: {"__array__": key} replaced by ``arrays[key]``."""
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return arrays[tree["__array__"]]
        return {k: unflatten(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [unflatten(v, arrays) for v in tree]
    return tree
