"""flatten_parameters: one flat value buffer and one flat gradient buffer for a
whole net (Torch7's ``getParameters``, cuDNN's ``flatten_parameters``).

    W, dW = net.flatten_parameters()

Each parameter's ``data`` and ``grad`` become consecutive views of ``W`` and
``dW`` (values are kept, in the order of ``net.parameters()``). Optimizers
notice runs of such views and update a whole run with a few passes over one
long array instead of a few per parameter.

This REBINDS the arrays: an array taken before the call
(``w = lin.weight.data``) is no longer the weight; take it again afterwards.
Call it once, after building (and after any ``astype``) and before creating
the optimizer; ``astype`` undoes it (call it again afterwards).
"""
import numpy as np


def flatten_parameters(params, owner="flatten_parameters"):
    """Re-point ``params`` (deduplicated, order kept) at views of two new flat
    arrays; returns ``(flat_data, flat_grad)``. All must share one dtype."""
    unique, seen = [], set()
    for p in params:
        if id(p) not in seen:
            seen.add(id(p))
            unique.append(p)
    if not unique:
        return np.empty(0, np.float32), np.empty(0, np.float32)
    dtypes = sorted({str(p.dtype) for p in unique})
    if len(dtypes) != 1:
        raise TypeError(f"{owner}: parameters must share one dtype to be flattened, got {dtypes}")
    dtype = unique[0].dtype
    data = np.empty(sum(p.size for p in unique), dtype)
    grad = np.empty_like(data)
    offset = 0
    for p in unique:
        d = data[offset:offset + p.size].reshape(p.shape)
        g = grad[offset:offset + p.size].reshape(p.shape)
        d[...] = p.data
        pending = p._zero_pending
        g[...] = 0 if pending else p._grad
        p.data, p.grad = d, g
        if pending:
            p.zero_grad()
        offset += p.size
    return data, grad
