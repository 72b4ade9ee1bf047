"""Explicit short-vector adds for the compiled kernels (numba intrinsics).

numba runs LLVM without its SLP vectorizer, so eight scalar adds written side
by side stay eight scalar adds, and the loop vectorizer only starts its vector
loop at 32-64 elements behind a run-time overlap check: the 10-float rows of
LeNet's conv2 col2im were added one float at a time. ``add8`` / ``add4`` emit
one LLVM vector load-add-store: the same IEEE additions element by element,
so results stay bitwise equal to the scalar (and numpy) code.

They take raw data pointers (``pointer(a)``, taken once outside the loops):
passing an array to an intrinsic inside a loop costs an NRT incref/decref
pair per call, which made a row add 4x slower than the scalar loop.

Editing this file (or runs.py) does not invalidate numba's on-disk cache of the
kernels that inline it (``cache=True`` checks only the kernel's own file):
delete ``layers/kernels/__pycache__/*.nb[ic]`` after such an edit.
"""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def pointer(typingctx, a):
    """The data pointer of array ``a`` (typed by its dtype; index it like an array)."""
    if not isinstance(a, types.Array):
        return None
    sig = types.CPointer(a.dtype)(a)

    def codegen(context, builder, sig, args):
        return context.make_array(sig.args[0])(context, builder, args[0]).data
    return sig, codegen


def _vector_add(width):
    def add(typingctx, dst, d, src, s):
        if not (isinstance(dst, types.CPointer) and dst == src and isinstance(dst.dtype, types.Float)):
            return None
        sig = types.void(dst, d, src, s)

        def codegen(context, builder, sig, args):
            vec = ir.VectorType(context.get_data_type(sig.args[0].dtype), width).as_pointer()
            pd = builder.bitcast(builder.gep(args[0], [args[1]]), vec)
            ps = builder.bitcast(builder.gep(args[2], [args[3]]), vec)
            a, b = builder.load(pd, align=1), builder.load(ps, align=1)
            builder.store(builder.fadd(a, b), pd, align=1)
            return context.get_dummy_value()
        return sig, codegen
    add.__name__ = add.__qualname__ = f"add{width}"
    add.__doc__ = f"dst[d:d+{width}] += src[s:s+{width}] (pointers of one float type; d, s unsigned) as one vector add."
    return intrinsic(add)


add8 = _vector_add(8)
add4 = _vector_add(4)
