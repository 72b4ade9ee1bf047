"""Output arrays recycled between steps without ever aliasing a live result.

A fresh large array costs page faults every step (glibc hands big freed blocks
back to the OS; ~1.5 µs per 4 KB page when touched again: 750 faults, about
1 ms, per LeNet step at batch 64). ``Recycler.get`` returns an array of the
requested shape/dtype/layout that NOBODY else references any more — a caller
that kept an earlier output (or any view of it) keeps it untouched, because a
view holds a reference to its base array and raises its reference count —
and allocates a new one otherwise. In a training loop the output of step t is
still cached by the next layer during step t+1, so two arrays alternate.
"""
import math
import sys

import numpy as np

KEEP = 2                # arrays remembered per name (the live one and the free one)
MIN_BYTES = 256 << 10   # smaller arrays come from malloc's free lists anyway


class Recycler:
    """Per-layer pool of reusable output arrays, by name."""

    def __init__(self):
        self._pools = {}

    def __deepcopy__(self, memo):
        return Recycler()   # a copied layer starts with an empty pool (never shares arrays)

    __copy__ = lambda self: Recycler()

    def get(self, name, shape, dtype, like=None, zero=False):
        """An array (shape, dtype) — shaped and laid out like ``like`` (as
        ``np.empty_like``) when given — that no one outside this pool references;
        zero-filled if asked."""
        dtype = np.dtype(dtype)
        if like is not None:
            shape = like.shape
        if dtype.itemsize * math.prod(shape) < MIN_BYTES:   # (np.prod: ~2 µs a call)
            return _new(shape, dtype, like, zero)
        key = (tuple(shape), dtype, None if like is None else like.strides)
        pool = self._pools.setdefault(name, [])
        for entry in pool:
            # references to a free array: the entry's tuple and getrefcount's argument
            if entry[0] == key and sys.getrefcount(entry[1]) == 2:
                if zero:
                    entry[1].fill(0)
                return entry[1]
        a = _new(shape, dtype, like, zero)
        pool.append((key, a))
        if len(pool) > KEEP:
            del pool[0]
        return a

    def clear(self):
        self._pools.clear()


def _new(shape, dtype, like, zero):
    if like is not None:
        return (np.zeros_like if zero else np.empty_like)(like, dtype=dtype)
    return (np.zeros if zero else np.empty)(shape, dtype)


def recycled(layer, name, dtype, like=None, shape=None, zero=False):
    """``layer``'s reusable output array ``name`` (see ``Recycler.get``); the pool
    lives in ``layer._recycler``, created on first use."""
    pool = layer.__dict__.get("_recycler")
    if pool is None:
        pool = layer._recycler = Recycler()
    return pool.get(name, shape, dtype, like, zero)
