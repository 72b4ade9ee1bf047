"""ConvTranspose2d's backward pass: Conv2d's forward, applied to G.

With G = dL/dY, cols_G = im2col(G) (Conv2d's columns of G on the layer's
geometry, (O/g·kh·kw, N·H·W) per group), W₂ the weight as (C/g, O/g·kh·kw) and X
as (C/g, N·H·W) per group:

    dX = W₂ cols_G,   dWᵀ += cols_G Xᵀ,   db += Σ_{n,h,w} G

Where output_padding ≥ stride (allowed below the dilation), the geometry's
windows reach past X's last row or column: X was read as zero-padded there, and
dX drops those rows and columns.
"""
import numpy as np

from ..runtime import parallel
from ..runtime.scratch import recycled
from .im2col import im2col


class ConvTransposeBackward:
    """Mixin of ConvTranspose2d holding its backward pass (see the module docstring).
    Uses the layer's ``_geometry``, ``_plan`` and ``_buffer``."""

    def backward(self, G):
        X = self._cached("_X")                       # padded to the geometry's output size
        N, C, H, W = X.shape
        geo, out_hw = self._geometry(self._input_hw)
        O, g, KK = self.out_channels, self.groups, self.kernel_size[0] * self.kernel_size[1]
        if getattr(G, "shape", None) != (N, O) + out_hw:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {(N, O) + out_hw}")
        dtype = np.result_type(X.dtype, G.dtype, self.weight.dtype)
        Xc, Gc = X.transpose(1, 0, 2, 3), G.transpose(1, 0, 2, 3)
        chunks, nbytes = self._plan(N, (H, W), dtype)
        W2 = self.weight.data.reshape(g, C // g, -1)                          # (g, C/g, O/g·kh·kw)
        dXc = recycled(self, "dX", dtype, shape=(C, N * H * W)) if self.propagate_down else None
        dWt = self._buffer("dWt", (g, W2.shape[2], C // g), dtype)   # the GEMM's faster orientation, summed
        dWt.fill(0)                                                     # here: adds into the transposed weight
        sums = parallel.OrderedSum([dWt], dtype, parallel.active(len(chunks), nbytes))   # grad cost 1.4 ms

        def chunk(k, slot):
            n0, n1 = chunks[k]
            L = (n1 - n0) * H * W
            cols = self._buffer("g" + self._cols_name(n0, n1, N, slot), (O, KK, n1 - n0, H, W), dtype,
                                zero=not geo.full)                           # padding positions stay zero
            im2col(Gc[:, n0:n1], cols, geo)
            cols = cols.reshape(g, O // g * KK, L)
            np.matmul(cols, Xc[:, n0:n1].reshape(g, C // g, L).transpose(0, 2, 1), out=sums.parts(k)[0])
            sums.done(k)
            if dXc is not None:
                np.matmul(W2, cols, out=dXc[:, n0 * H * W:n1 * H * W].reshape(g, C // g, L))
        with parallel.one_blas_thread(len(chunks), nbytes):
            parallel.run(chunk, len(chunks), nbytes)
            if self.bias is not None:
                self.bias.grad += self._channel_sums(G, Gc, dtype)
        dW = self.weight.grad.reshape(g, C // g, -1)
        dW += dWt.transpose(0, 2, 1)
        if dXc is None:
            return None
        h, w = self._input_hw
        return dXc.reshape(C, N, H, W)[:, :, :h, :w].transpose(1, 0, 2, 3)

    def _channel_sums(self, G, Gc, dtype):
        """Σ_{n,h,w} G[n, o, h, w] as products with ones (far faster than sums over short rows)."""
        if Gc.flags.c_contiguous:                      # channel-major G (a following layer's dX)
            return Gc.reshape(Gc.shape[0], -1) @ self._ones_of(Gc[0].size, dtype)
        G3 = G.reshape(G.shape[0], G.shape[1], -1)     # a copy only when G is neither layout
        return (G3 @ self._ones_of(G3.shape[2], dtype)).sum(0)

    def _ones_of(self, n, dtype):
        ones = self._ones
        if ones.shape[0] != n or ones.dtype != dtype:
            ones = self._ones = np.ones(n, dtype)
        return ones
