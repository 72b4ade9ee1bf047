"""Fused updates: runs of parameters that are consecutive views of one flat
buffer (``net.flatten_parameters()``) are updated as ONE array.

The optimizer's ``update(p, state, ...)`` is written for anything with ``data``
and ``grad``; a ``Run`` is such a thing whose arrays span several parameters.
Its state arrays are flat too, and each parameter's own state (what
``state_dict`` saves, by parameter) holds views of them, so nothing changes
for the user except the number of numpy calls per step.

A run is a maximal sequence of parameters (in optimizer order, one group) whose
``data`` and ``grad`` are contiguous, adjacent views of the same two base
arrays, trainable, with equal multipliers and equal state (same keys, same
step). Anything else is updated parameter by parameter. Nothing is ever
rebound here: the optimizer only reads how the arrays lie in memory.
"""
import numpy as np


def _locate(a):
    """(base array, element offset) of a C-contiguous view, or None."""
    base = a if a.base is None else a.base
    if not (isinstance(base, np.ndarray) and a.flags.c_contiguous and base.flags.c_contiguous
            and base.dtype == a.dtype):
        return None
    off, rem = divmod(a.ctypes.data - base.ctypes.data, a.itemsize)
    return None if rem else (base, off)


class Run:
    """A stretch of consecutive parameters updated as one array."""

    def __init__(self, entries, data, grad):
        self.entries = entries                  # [(param, its state, its group)]
        self.params = [p for p, _, _ in entries]
        self.group = entries[0][2]
        self.lr_mult = self.params[0].lr_mult
        self.decay_mult = self.params[0].decay_mult
        self.data, self.grad = data, grad
        self.state = {}
        self._gather()

    def _gather(self):
        """Flat state from the parameters' own state, which then views it."""
        first = self.entries[0][1]
        for k, v in first.items():
            if k.startswith("_"):
                continue
            if isinstance(v, np.ndarray) and v.ndim:
                self.state[k] = np.concatenate([st[k].reshape(-1) for _, st, _ in self.entries])
            else:
                self.state[k] = v
        self._bind()

    def _bind(self):
        """Point each parameter's state at views of the flat state arrays."""
        self._scalars = []
        offset = 0
        for p, st, _ in self.entries:
            for k, v in self.state.items():
                if k.startswith("_"):
                    continue
                if isinstance(v, np.ndarray) and v.ndim:
                    st[k] = v[offset:offset + p.size].reshape(p.shape)
            offset += p.size
        self._scalars = [k for k, v in self.state.items()
                         if not k.startswith("_") and not (isinstance(v, np.ndarray) and v.ndim)]
        self._nkeys = len(self.state)

    def after_update(self):
        if len(self.state) != self._nkeys:      # the update created state (first step)
            self._bind()
        for k in self._scalars:
            v = self.state[k]
            for _, st, _ in self.entries:
                st[k] = v


def _same_state(a, b):
    ka = sorted(k for k in a if not k.startswith("_"))
    if ka != sorted(k for k in b if not k.startswith("_")):
        return False
    for k in ka:
        x, y = a[k], b[k]
        if isinstance(x, np.ndarray) and x.ndim:
            if not (isinstance(y, np.ndarray) and y.ndim and x.dtype == y.dtype):
                return False
        elif isinstance(y, np.ndarray) and y.ndim or x != y:
            return False
    return True


def make_plan(entries):
    """Split ``entries`` (param, state, group) into Runs and single entries."""
    plan, pending, last = [], [], None

    def close():
        if len(pending) > 1:
            (bd, d0), (bg, g0) = last_start
            n = sum(p.size for p, _, _ in pending)
            plan.append(Run(list(pending), bd[d0:d0 + n], bg[g0:g0 + n]))
        else:
            plan.extend(pending)
        pending.clear()

    last_start = None
    for e in entries:
        p, st, g = e
        if not p.requires_grad:
            close()
            last = None
            continue
        ld, lg = _locate(p.data), _locate(p.grad)
        fits = (last is not None and ld is not None and lg is not None and pending
                and ld[0] is last[0] and lg[0] is last[2] and ld[1] == last[1] and lg[1] == last[3]
                and g is pending[0][2] and p.lr_mult == pending[0][0].lr_mult
                and p.decay_mult == pending[0][0].decay_mult and _same_state(st, pending[0][1]))
        if not fits:
            close()
            last_start = (ld, lg)
        pending.append(e)
        last = (ld[0], ld[1] + p.size, lg[0], lg[1] + p.size) if ld is not None and lg is not None else None
    close()
    return plan


def signature(entries):
    """What a plan depends on; compared by identity/equality each step."""
    return [(p.data, p._grad, p.requires_grad, p.lr_mult, p.decay_mult) for p, _, _ in entries]
