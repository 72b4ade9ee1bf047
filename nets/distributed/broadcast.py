"""Making every rank start from rank 0's state, and exchanging small JSON
values (no pickle: text travels as bytes in a uint8 array).

    broadcast_parameters(net_or_params, comm)     weights and buffers ← root's, in place
    broadcast_optimizer_state(optimizer, comm)    optimizer state ← root's (load_state_dict)
    broadcast_json(comm, value)                   root's value on every rank
    allgather_json(comm, value)                   [value of rank 0, of rank 1, ...] on every rank
"""
import json

import numpy as np

from ...layers import Parameter


def _arrays(obj):
    """The arrays a net holds (parameter values and buffers), or those of a list of Parameters."""
    if hasattr(obj, "named_parameters") and hasattr(obj, "named_buffers"):
        return [p.data for _, p in obj.named_parameters()] + [b for _, b in obj.named_buffers()]
    out = []
    for p in obj:
        if not isinstance(p, Parameter):
            raise TypeError(f"broadcast_parameters: expected a Layer or Parameters, got {type(p).__name__}")
        out.append(p.data)
    return out


def broadcast_parameters(obj, comm, root=0):
    """Copy root's parameter values (and, for a Layer, its buffers) to every rank, in place."""
    for a in _arrays(obj):
        if a.flags.c_contiguous:
            comm.broadcast(a, root)
        else:
            tmp = np.ascontiguousarray(a)
            comm.broadcast(tmp, root)
            a[...] = tmp
    return obj


def broadcast_json(comm, value, root=0):
    """Root's ``value`` (anything json can write: numbers, text, lists, dicts, big ints) on every rank."""
    if comm.size == 1:
        return value
    data = json.dumps(value).encode() if comm.rank == root else b""
    n = comm.broadcast(np.array([len(data)], np.int64), root)[0]
    buf = np.frombuffer(data, np.uint8).copy() if comm.rank == root else np.zeros(int(n), np.uint8)
    comm.broadcast(buf, root)
    return json.loads(buf.tobytes().decode())


def allgather_json(comm, value):
    """Every rank's ``value`` as a list indexed by rank, on every rank (two allreduces)."""
    if comm.size == 1:
        return [value]
    data = np.frombuffer(json.dumps(value).encode(), np.uint8)
    sizes = np.zeros(comm.size, np.int64)
    sizes[comm.rank] = len(data)
    comm.allreduce(sizes)
    ends = np.cumsum(sizes)
    buf = np.zeros(int(ends[-1]), np.uint8)
    buf[ends[comm.rank] - len(data):ends[comm.rank]] = data     # disjoint slots: the sum is a gather
    comm.allreduce(buf)
    starts = ends - sizes
    return [json.loads(buf[s:e].tobytes().decode()) for s, e in zip(starts, ends)]


def broadcast_optimizer_state(optimizer, comm, root=0):
    """Load root's optimizer state (learning rate, step count, hyperparameters and
    per-parameter arrays) into ``optimizer`` on every rank."""
    if comm.size == 1:
        return optimizer
    inner = getattr(optimizer, "optimizer", optimizer)        # a DistributedOptimizer's
    sd = inner.state_dict() if comm.rank == root else None
    layout = None
    if comm.rank == root:
        layout = {"rest": {k: v for k, v in sd.items() if k != "state"},
                  "state": {str(i): {k: [list(np.shape(v)), str(np.asarray(v).dtype)] for k, v in st.items()}
                            for i, st in sd["state"].items()}}
    layout = broadcast_json(comm, layout, root)
    state = {}
    for i, entries in layout["state"].items():
        state[int(i)] = {}
        for k, (shape, dtype) in entries.items():
            a = np.ascontiguousarray(sd["state"][int(i)][k]) if comm.rank == root else np.zeros(shape, dtype)
            state[int(i)][k] = comm.broadcast(a, root)
    if comm.rank != root:
        inner.load_state_dict(dict(layout["rest"], state=state))
    return optimizer
