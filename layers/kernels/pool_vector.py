"""Eight 2x2 max-pool windows at a time as explicit LLVM vector code (numba
intrinsics), for ``pool_kernels.maxpool2x2_planes`` and its backward.

The scalar loops read and write every other float of a row; LLVM did not
vectorize them (the forward loop's branches) or turned the backward's paired
stores into scatters (4x slower on 28-float rows). Here two 16-float rows are
loaded and split into even and odd columns with shuffles (forward), or the
four per-position results are interleaved back into two 16-float rows
(backward). The comparisons and selects are the scalar code's, element by
element (same tie rule, NaN propagation and ``g * 0`` for the losers), so
results are bitwise equal. Arguments are data pointers (``vector.pointer``)
and unsigned element offsets.
"""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

EVEN, ODD = list(range(0, 16, 2)), list(range(1, 16, 2))
INTERLEAVE = [k for q in range(8) for k in (q, q + 8)]


def _vec(builder, ptr, offset, width):
    p = builder.gep(ptr, [offset])
    return builder.bitcast(p, ir.VectorType(p.type.pointee, width).as_pointer())


def _mask(indices):
    return ir.Constant(ir.VectorType(ir.IntType(32), len(indices)), indices)


def _max(builder, a, b):
    """a if a >= b or a is NaN else b (pool_kernels._max without branches)."""
    keep = builder.or_(builder.fcmp_ordered(">=", a, b), builder.fcmp_unordered("uno", a, a))
    return builder.select(keep, a, b)


@intrinsic
def pool8(typingctx, x, r0, r1, y, t, arg):
    """Windows j..j+7 of row pair (r0, r1) of x (r0, r1: offsets of their first
    column): y[t:t+8] = maxima, arg[t:t+8] = 2·row + col of the winners."""
    if not (isinstance(x, types.CPointer) and x == y and isinstance(x.dtype, types.Float)
            and arg == types.CPointer(types.uint8)):
        return None
    sig = types.void(x, r0, r1, y, t, arg)

    def codegen(context, builder, sig, args):
        x, r0, r1, y, t, arg = args
        top, bottom = builder.load(_vec(builder, x, r0, 16), align=1), builder.load(_vec(builder, x, r1, 16), align=1)
        a, c = (builder.shuffle_vector(top, top, _mask(ks)) for ks in (EVEN, ODD))
        d, e = (builder.shuffle_vector(bottom, bottom, _mask(ks)) for ks in (EVEN, ODD))
        hi, lo = _max(builder, a, c), _max(builder, d, e)
        lower = builder.fcmp_ordered(">", lo, hi)
        i8 = ir.VectorType(ir.IntType(8), 8)
        right_low = builder.add(builder.zext(builder.fcmp_ordered(">", e, d), i8), ir.Constant(i8, [2] * 8))
        right_top = builder.zext(builder.fcmp_ordered(">", c, a), i8)
        builder.store(builder.select(lower, right_low, right_top), _vec(builder, arg, t, 8), align=1)
        builder.store(_max(builder, hi, lo), _vec(builder, y, t, 8), align=1)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def unpool8(typingctx, g, t, arg, dx, r0, r1):
    """Backward of ``pool8``: g[t:t+8] to each window's winner (arg[t:t+8]) in rows
    r0, r1 of dx (16 floats each), g * 0 to the other three."""
    if not (isinstance(g, types.CPointer) and g == dx and isinstance(g.dtype, types.Float)
            and arg == types.CPointer(types.uint8)):
        return None
    sig = types.void(g, t, arg, dx, r0, r1)

    def codegen(context, builder, sig, args):
        g, t, arg, dx, r0, r1 = args
        v = builder.load(_vec(builder, g, t, 8), align=1)
        w = builder.load(_vec(builder, arg, t, 8), align=1)
        z = builder.fmul(v, ir.Constant(v.type, [0.0] * 8))
        i8 = ir.VectorType(ir.IntType(8), 8)
        s = [builder.select(builder.icmp_unsigned("==", w, ir.Constant(i8, [k] * 8)), v, z) for k in range(4)]
        mask = _mask(INTERLEAVE)
        builder.store(builder.shuffle_vector(s[0], s[1], mask), _vec(builder, dx, r0, 16), align=1)
        builder.store(builder.shuffle_vector(s[2], s[3], mask), _vec(builder, dx, r1, 16), align=1)
        return context.get_dummy_value()
    return sig, codegen
