"""Summing gradients across ranks in one buffer, and ``DistributedOptimizer``.

    opt = DistributedOptimizer(optim.SGD(net.parameters(), lr=0.1), comm)
    ...forward, backward (each rank its share of the global batch)...
    opt.synchronize()                       # gradients summed over the ranks
    optim.clip_grad_norm(net, 1.0)          # clipping sees the global norm
    opt.step()                              # (step synchronizes itself if not done)

The gradients of the trainable parameters of one dtype travel in ONE
allreduce. Where they already lie back to back in one flat array
(after ``net.flatten_parameters()``, which the trainer's builder calls), that array is
reduced in place; otherwise they are copied into one reused buffer, reduced
and copied back. Each rank must have weighted its loss gradient by its
share of the global batch, so that the sum is the global batch's gradient.
"""
import numpy as np


def _address(a):
    return a.__array_interface__["data"][0]


def _flat_view(grads):
    """The one contiguous 1-D array the gradients tile in order, or None."""
    first = grads[0]
    base = first.base if first.base is not None else first
    if base.ndim != 1 or not base.flags.c_contiguous:
        return None
    itemsize, start = first.itemsize, _address(first)
    pos = start
    for g in grads:
        owner = g.base if g.base is not None else g
        if owner is not base or not g.flags.c_contiguous or g.dtype != first.dtype or _address(g) != pos:
            return None
        pos += g.size * itemsize
    offset = (start - _address(base)) // itemsize
    return base[offset:offset + (pos - start) // itemsize]


class GradientReducer:
    """``reduce()`` sums the gradients of ``params`` (trainable ones) over ``comm``'s ranks, in place."""

    def __init__(self, params, comm):
        self.params, self.comm = list(params), comm
        self._buffers = {}          # dtype -> reused packing buffer
        self.in_place = None        # after a reduce: whether it needed no copy

    def reduce(self):
        """Replace each trainable parameter's ``grad`` by its sum over the ranks
        (one allreduce per dtype; nothing to do in one process)."""
        if self.comm.size == 1:
            return
        by_dtype = {}
        for p in self.params:
            if p.requires_grad:
                by_dtype.setdefault(p.grad.dtype, []).append(p.grad)
        in_place = True
        for dtype, grads in by_dtype.items():
            flat = _flat_view(grads)
            if flat is not None:
                self.comm.allreduce(flat)
                continue
            in_place = False
            total = sum(g.size for g in grads)
            buf = self._buffers.get(dtype)
            if buf is None or buf.size != total:
                buf = self._buffers[dtype] = np.empty(total, dtype)
            pos = 0
            for g in grads:
                buf[pos:pos + g.size] = g.reshape(-1)
                pos += g.size
            self.comm.allreduce(buf)
            pos = 0
            for g in grads:
                g[...] = buf[pos:pos + g.size].reshape(g.shape)
                pos += g.size
        self.in_place = in_place


class DistributedOptimizer:
    """Wraps an optimizer so that ``step()`` uses the gradients summed over the ranks.
    Everything else (``lr``, ``state_dict``, ``param_groups``, ...) is the wrapped
    optimizer's; schedules may be given either."""

    def __init__(self, optimizer, comm=None):
        if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "parameters", None))):
            raise TypeError(f"DistributedOptimizer: expected an optimizer, got {type(optimizer).__name__}")
        if comm is None:
            from .world import world
            comm = world()
        self.__dict__.update(optimizer=optimizer, comm=comm,
                             reducer=GradientReducer(optimizer.parameters(), comm), _synced=False)

    def synchronize(self):
        """Sum the gradients over the ranks now (before clipping); step() then does not again."""
        if not self._synced:
            self.reducer.reduce()
            self._synced = True

    def step(self):
        """``synchronize()`` (unless already done since the last step), then the
        wrapped optimizer's ``step()``."""
        self.synchronize()
        self.optimizer.step()
        self._synced = False

    def zero_grad(self):
        """The wrapped optimizer's ``zero_grad()``; the next step synchronizes again."""
        self.optimizer.zero_grad()
        self._synced = False

    def __getattr__(self, name):
        return getattr(self.optimizer, name)

    def __setattr__(self, name, value):
        if name in self.__dict__:
            self.__dict__[name] = value
        else:
            setattr(self.optimizer, name, value)      # e.g. a schedule setting lr

    def __repr__(self):
        return f"DistributedOptimizer({self.optimizer!r}, {self.comm!r})"
