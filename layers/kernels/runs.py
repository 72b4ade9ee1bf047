"""Copies and adds of short contiguous runs (the rows of im2col/col2im).

A plain ``for q in range(n): dst[d + q] = src[s + q]`` stays scalar for the
rows of a small convolution (10-28 floats): numba cannot promise that ``dst``
and ``src`` don't overlap, so LLVM vectorizes behind a run-time overlap check
whose vector loop only starts at 32-64 elements (AVX2 / AVX-512 unrolled).
Eight loads written before eight stores need no such check (the result is the
same whether or not the arrays overlap), and LLVM merges them into one 32-byte
load and store: LeNet's conv2 im2col went from 0.90 to ~0.3 ms. Adds get no
such help (numba runs LLVM without its SLP vectorizer; an 8-wide add written
the same way stayed scalar), so ``add_run`` uses explicit vector adds
(``vector.py``) on raw pointers. Indices are unsigned: with signed ones numba checks each for
wrap-around (negative indexing) and LLVM cannot vectorize (12x slower on
28-float rows).
"""
import numba

from .vector import add4, add8

U = numba.uint64
EIGHT = U(8)


@numba.njit(cache=True, nogil=True, inline="always")
def copy8(dst, d, src, s):
    """dst[d:d+8] = src[s:s+8] (d, s unsigned)."""
    a0, a1, a2, a3 = src[s], src[s + U(1)], src[s + U(2)], src[s + U(3)]
    a4, a5, a6, a7 = src[s + U(4)], src[s + U(5)], src[s + U(6)], src[s + U(7)]
    dst[d], dst[d + U(1)], dst[d + U(2)], dst[d + U(3)] = a0, a1, a2, a3
    dst[d + U(4)], dst[d + U(5)], dst[d + U(6)], dst[d + U(7)] = a4, a5, a6, a7


@numba.njit(cache=True, nogil=True, inline="always")
def copy_run(dst, d, src, s, n, step):
    """dst[d + q] = src[s + q·step] for q < n. Contiguous runs of 8 or more go
    in blocks of 8, the last block overlapping the one before (copying a value
    twice is harmless; dst and src are different arrays)."""
    d, s, n, step = U(d), U(s), U(n), U(step)
    if step == U(1) and n >= EIGHT:
        q = U(0)
        while q + EIGHT < n:
            copy8(dst, d + q, src, s + q)
            q += EIGHT
        copy8(dst, d + n - EIGHT, src, s + n - EIGHT)
    else:
        for q in range(n):
            dst[d + q] = src[s + q * step]


@numba.njit(cache=True, nogil=True, inline="always")
def zero_run(dst, d, n):
    d = U(d)
    for q in range(U(n)):
        dst[d + q] = 0


@numba.njit(cache=True, nogil=True, inline="always")
def add_run(dst, d, step, src, s, n):
    """dst[d + q·step] += src[s + q] for q < n; dst, src: data pointers
    (``vector.pointer``). Contiguous runs go 8 then 4 floats at a time (vector
    adds), the last 0-3 one by one: no element is added twice."""
    d, s, step, n = U(d), U(s), U(step), U(n)
    if step != U(1):
        for r in range(n):
            dst[d + r * step] += src[s + r]
        return
    q = U(0)
    while q + EIGHT <= n:
        add8(dst, d + q, src, s + q)
        q += EIGHT
    if q + U(4) <= n:
        add4(dst, d + q, src, s + q)
        q += U(4)
    if q < n:                       # 0-3 left: no loop (LLVM would version it for vectors)
        dst[d + q] += src[s + q]
        if q + U(1) < n:
            dst[d + q + U(1)] += src[s + q + U(1)]
            if q + U(2) < n:
                dst[d + q + U(2)] += src[s + q + U(2)]
