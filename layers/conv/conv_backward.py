"""Conv2d's backward pass: the vector-Jacobian products of a 2-d convolution.

With G = dL/dY as (O, N·Ho·Wo), cols the im2col matrix of X and W₂ the weight
as (O, C·kh·kw) (per group):

    dW += G colsᵀ,   db += G 1,   dX = col2im(W₂ᵀ G)

col2im is the adjoint of im2col: every column entry is added back onto the
input pixel it was copied from. How dX is computed depends on the layer
(``_input_grad_mode``): a 1x1 kernel needs no col2im; strided windows add
column blocks back (``col2im``); stride 1 uses either the full convolution of G
with the flipped, transposed kernel (``full``) or col2im on the padded grid
(``grid``), whichever moves less data.
"""
import numpy as np

from ..runtime import parallel
from .im2col import Geometry, col2im, im2col
from ..kernels import kernel
from ..runtime.scratch import recycled


class ConvBackward:
    """Mixin of Conv2d holding its backward pass (see the module docstring for the VJP).
    Uses the layer's ``_geometry``, ``_chunks``, ``_columns`` and ``_buffer``."""

    def backward(self, G):
        X = self._cached("_X")
        N, C, H, W = X.shape
        geo = self._geometry((H, W))
        Ho, Wo = geo.out_hw
        O, g, P = self.out_channels, self.groups, Ho * Wo
        if getattr(G, "shape", None) != (N, O, Ho, Wo):
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {(N, O, Ho, Wo)}")
        dtype = np.result_type(X.dtype, G.dtype, self.weight.dtype)
        Xc, Gc = X.transpose(1, 0, 2, 3), G.transpose(1, 0, 2, 3)
        chunks = self._chunks(N, C * geo.kernel_size * P * dtype.itemsize)
        mode = self._input_grad_mode(C, (H, W), (Ho, Wo)) if self.propagate_down else None
        if mode == "grid" and kernel("col2im") is not None:
            mode = "col2im"   # the compiled col2im moves half the data of the grid (LeNet conv2: 3.7 vs 4.7 ms)
        if mode == "grid":
            return self._backward_grid(Xc, Gc, chunks, geo, dtype)
        dXc = None if mode is None else recycled(self, "dX", dtype, shape=(C, N * H * W), zero=mode == "col2im")
        nbytes = self._chunk_bytes(chunks, C, geo, dtype)
        sums = self._grad_sums(dtype, parallel.active(len(chunks), nbytes))

        def chunk(k, slot):
            n0, n1 = chunks[k]
            Gt = self._weight_grads(Xc, Gc, n0, n1, len(chunks), geo, dtype, sums, k, slot)
            if dXc is not None:
                out = dXc[:, n0 * H * W:n1 * H * W].reshape(g, C // g, -1)
                self._input_grad(Gc[:, n0:n1], Gt, out, geo, mode, slot)
        parallel.run(chunk, len(chunks), nbytes)
        if dXc is None:
            return None
        return dXc.reshape(C, N, H, W).transpose(1, 0, 2, 3)

    def _grad_sums(self, dtype, threaded=False):
        """The chunks' dW (as (groups, Cg·kh·kw, O/groups), the GEMM's own layout) and
        db, added in chunk order (layers.runtime.parallel.OrderedSum)."""
        g = self.groups
        dWt = self.weight.grad.reshape(g, self.out_channels // g, -1).transpose(0, 2, 1)
        return parallel.OrderedSum([dWt] if self.bias is None else [dWt, self.bias.grad], dtype, threaded)

    def _weight_grads(self, Xc, Gc, n0, n1, nchunks, geo, dtype, sums, k, slot=0):
        """dW += G colsᵀ and db += G 1 for samples n0..n1 (chunk k, through ``sums``);
        returns G as (groups, O/groups, nb·Ho·Wo)."""
        O, g = self.out_channels, self.groups
        cols = self._cols if nchunks == 1 and self._cols is not None else self._columns(Xc, n0, n1, geo, dtype, slot)
        Gt = Gc[:, n0:n1].reshape(g, O // g, -1)  # free when G is channel-major
        parts = sums.parts(k)
        np.matmul(cols, Gt.transpose(0, 2, 1), out=parts[0])  # faster than Gt colsᵀ
        if self.bias is not None:
            np.matmul(Gt.reshape(O, -1), self._ones_like(Gt.shape[-1], dtype), out=parts[1])
        sums.done(k)
        return Gt

    def _backward_grid(self, Xc, Gc, chunks, geo, dtype):
        """Stride-1 col2im on the padded grid: G is placed on the (Hp, Wp) grid of the
        padded input (zeros elsewhere), so the column gradient of kernel offset (i, j)
        is the padded input gradient shifted by i·d·Wp + j·d in flat order, and
        col2im becomes kh·kw adds of long contiguous rows."""
        C, N, H, W = Xc.shape
        O, g, KK = self.out_channels, self.groups, geo.kernel_size
        (kh, kw), (dh, dw), (ph, pw) = self.kernel_size, self.dilation, self.padding
        Hp, Wp = H + 2 * ph, W + 2 * pw
        offsets = [i * dh * Wp + j * dw for i in range(kh) for j in range(kw)]
        dXp = np.zeros((C, N * Hp * Wp + offsets[-1]), dtype)
        W2t = self.weight.data.reshape(g, O // g, -1).transpose(0, 2, 1)
        sums = self._grad_sums(dtype)
        for k, (n0, n1) in enumerate(chunks):   # serial: neighbouring chunks' dX windows overlap
            Gt = self._weight_grads(Xc, Gc, n0, n1, len(chunks), geo, dtype, sums, k)
            grid = self._buffer("grid", (O, n1 - n0, Hp, Wp), dtype, zero=True)  # zero off the output positions
            np.copyto(grid[:, :, :geo.out_hw[0], :geo.out_hw[1]], Gt.reshape((O, n1 - n0) + geo.out_hw))
            L = (n1 - n0) * Hp * Wp
            dcols = self._buffer("dcols", (C * KK, L), dtype, zero=False)
            np.matmul(W2t, grid.reshape(g, O // g, L), out=dcols.reshape(g, -1, L))
            dcols = dcols.reshape(C, KK, L)
            base = n0 * Hp * Wp
            for k, off in enumerate(offsets):
                dXp[:, base + off:base + off + L] += dcols[:, k]
        dX = dXp[:, :N * Hp * Wp].reshape(C, N, Hp, Wp)[:, :, ph:ph + H, pw:pw + W]
        return dX.transpose(1, 0, 2, 3)

    def _ones_like(self, n, dtype):
        ones = self._ones           # (a local: chunks on other threads may swap in another length)
        if ones.shape[0] != n or ones.dtype != dtype:
            ones = self._ones = np.ones(n, dtype)
        return ones  # bias gradient as G·1: far faster than a sum over short rows

    def _input_grad(self, Gc, Gt, out, geo, mode, slot=0):
        """dX of one chunk of samples into ``out`` (groups, Cg, nb·H·W), with thread ``slot``'s buffers."""
        O, g = self.out_channels, self.groups
        if mode == "full":
            (kh, kw), (dh, dw), (ph, pw) = self.kernel_size, self.dilation, self.padding
            tgeo = self._transposed_geometry(geo)
            gcols = self._buffer(f"gcols@{slot}", (O, kh * kw) + Gc.shape[1:2] + geo.in_hw, out.dtype, zero=not tgeo.full)
            im2col(Gc, gcols, tgeo)
            Wf = self.weight.data[:, :, ::-1, ::-1].reshape(g, O // g, -1, kh * kw).transpose(0, 2, 1, 3)
            np.matmul(Wf.reshape(g, out.shape[1], -1), gcols.reshape(g, -1, out.shape[-1]), out=out)
            return
        W2t = self.weight.data.reshape(g, O // g, -1).transpose(0, 2, 1)
        if mode == "pointwise":
            np.matmul(W2t, Gt, out=out)
            return
        dcols = self._buffer(f"dcols@{slot}", W2t.shape[:2] + Gt.shape[-1:], out.dtype, zero=False)
        np.matmul(W2t, Gt, out=dcols)
        col2im(dcols.reshape((-1, geo.kernel_size) + Gc.shape[1:]), out.reshape((-1,) + Gc.shape[1:2] + geo.in_hw), geo)

    def _input_grad_mode(self, C, in_hw, out_hw):
        """How backward computes dX. Stride 1: the adjoint is itself a convolution of
        G with the flipped, transposed kernel ("full": an im2col copy and a GEMM,
        best when G's columns are no larger than X's), or col2im on the padded
        grid ("grid"). Other strides: col2im's block adds ("col2im")."""
        if self._pointwise():
            return "pointwise"
        if self.stride != (1, 1):
            return "col2im"
        return "full" if self.out_channels * in_hw[0] * in_hw[1] <= C * out_hw[0] * out_hw[1] else "grid"

    def _transposed_geometry(self, geo):
        """Windows of dX[c] = Σ_o W[o, c] flipped ⋆ G[o]: a stride-1 convolution of G
        padded by d(k − 1) − p (the adjoint of a stride-1 convolution)."""
        key = ("T",) + geo.in_hw
        tgeo = self._geo.get(key)
        if tgeo is None:
            (kh, kw), (dh, dw), (ph, pw) = self.kernel_size, self.dilation, self.padding
            tgeo = self._geo[key] = Geometry(geo.out_hw, (kh, kw), (1, 1), (dh * (kh - 1) - ph, dw * (kw - 1) - pw),
                                             (dh, dw))
        return tgeo
