"""Conv2d's Winograd F(2×2, 3×3) algorithm (transforms in winograd.py and
winograd_grad.py) and the choice between it and im2col (``algo``).

Forward per chunk of samples: pad X into a channels-last buffer, V = Bᵀ d B,
16 GEMMs M[ξ] = V[ξ] U[ξ], Y = Aᵀ M A (+ bias). Backward: dM = A dY Aᵀ,
dU[ξ] += V[ξ]ᵀ dM[ξ] (dW = Gᵀ dU G), db = Σ dM[(1, 1)] (= Σ dY), and dV[ξ] =
dM[ξ] U[ξ]ᵀ, dX = overlap-add of B dV Bᵀ. Odd output sizes are computed on
the next even size and cropped. Chunks keep V and M cache-sized; V is kept
for backward up to KEEP_V_BYTES per batch, otherwise recomputed per chunk.
Y and dX are NCHW views of channels-last memory.
"""
import math

import numpy as np

from ..runtime import parallel
from ..runtime.scratch import recycled
from .winograd import filter_grad, filter_transform, input_transform, output_transform
from .winograd_grad import SIGNS, input_grad_transform, output_grad_transform

ALGOS = ("auto", "im2col", "winograd")
CHUNK_BYTES = 1 << 20  # V of one chunk of samples up to this size
KEEP_V_BYTES = 64 << 20  # V of the whole batch up to this size is kept for backward (else recomputed)
MIN_CHANNELS = 16      # auto: Winograd when in and out channels are at least this ...
MIN_OUTPUT = 8         # ... and the output map at least this in both directions (see docs/guide/speed.md)


class WinogradConv:
    """Mixin of Conv2d: ``algo`` and the Winograd path (see the module docstring)."""

    @property
    def algo(self):
        """"auto", "im2col" or "winograd" (checked when set)."""
        return self._algo

    @algo.setter
    def algo(self, algo):
        self._algo = self._check_algo(algo)

    def _check_algo(self, algo):
        if algo not in ALGOS:
            raise ValueError(f"Conv2d: algo must be one of {', '.join(ALGOS)}, got {algo!r}")
        why = self._wino_why = self._winograd_unsupported()   # the geometry is fixed at construction
        if algo == "winograd" and why:
            raise ValueError(f"{self!r}: algo='winograd' needs a 3x3 kernel, stride 1, dilation 1 "
                             f"and groups 1; this layer has {why}")
        return algo

    def _winograd_unsupported(self):
        """Why Winograd F(2x2, 3x3) cannot run this layer ('' when it can)."""
        bad = [f"{name}={value}" for name, value, ok in (
            ("kernel_size", self.kernel_size, (3, 3)), ("stride", self.stride, (1, 1)),
            ("dilation", self.dilation, (1, 1)), ("groups", self.groups, 1)) if value != ok]
        return ", ".join(bad)

    def _winograd_for(self, out_hw):
        """Whether forward on this output size uses Winograd."""
        if self.algo != "auto":
            return self.algo == "winograd"
        return (not self._wino_why and min(self.in_channels, self.out_channels) >= MIN_CHANNELS
                and min(out_hw) >= MIN_OUTPUT)

    def _winograd_plan(self, shape, geo, dtype):
        N, C, H, W = shape
        th, tw = (geo.out_hw[0] + 1) // 2, (geo.out_hw[1] + 1) // 2
        nb = max(1, min(N, CHUNK_BYTES // (16 * th * tw * max(C, self.out_channels) * dtype.itemsize)))
        return th, tw, [(n, min(n + nb, N)) for n in range(0, N, nb)], nb

    def _winograd_bytes(self, C, th, tw, nb, dtype):
        """The size of one chunk's V (or M): what layers.runtime.parallel weighs a chunk by."""
        return 16 * nb * th * tw * max(C, self.out_channels) * dtype.itemsize

    def _worker(self, nb, nb_max, dtype, slot=0):
        """work(name, shape, zero) for a chunk of nb samples: C-contiguous arrays reused
        across chunks and steps, stored for nb_max samples (so the last chunk reuses
        them), one set per thread ``slot`` (layers.runtime.parallel). ``zero``: a key of the
        region the caller writes (e.g. the input size); the array is zeroed when new
        or when that key changes, so its never-written borders (padding) stay zero."""
        def work(name, shape, zero=None):
            name = f"{name}@{slot}" if slot else name
            if zero is not None:
                full, tag = (nb_max,) + tuple(shape[1:]), (nb_max,) + tuple(shape[1:]) + (zero, dtype)
                if self._buffers.get(name) is not None and self.__dict__.get("_wino_tags", {}).get(name) != tag:
                    del self._buffers[name]                       # other geometry: stale values off the region
                self.__dict__.setdefault("_wino_tags", {})[name] = tag
                return self._buffer(name, full, dtype, True)[:nb]
            size = math.prod(shape)
            return self._buffer(name, (size // nb * nb_max,), dtype, False)[:size].reshape(shape)
        return work

    def _winograd_V(self, X, n0, n1, th, tw, nb_max, dtype, name="wV", slot=0):
        """V (16, nb·th·tw, C) of samples n0..n1, in work array ``name``."""
        work = self._worker(n1 - n0, nb_max, dtype, slot)
        V = work(name, (16, (n1 - n0) * th * tw, X.shape[1]))
        input_transform(X[n0:n1], self.padding, th, tw, V, work)
        return V

    def _winograd_forward(self, X, geo, dtype):
        th, tw, chunks, nb_max = self._winograd_plan(X.shape, geo, dtype)
        with parallel.one_blas_thread(len(chunks), self._winograd_bytes(X.shape[1], th, tw, nb_max, dtype)):
            return self._winograd_forward_chunks(X, geo, dtype, th, tw, chunks, nb_max)

    def _winograd_forward_chunks(self, X, geo, dtype, th, tw, chunks, nb_max):
        N, O = X.shape[0], self.out_channels
        U = filter_transform(self.weight.data.astype(dtype, copy=False))
        bias = None if self.bias is None else self.bias.data.astype(dtype, copy=False)
        Y = recycled(self, "Y", dtype, shape=(N, 2 * th, 2 * tw, O))
        keep = 16 * N * th * tw * X.shape[1] * dtype.itemsize <= KEEP_V_BYTES
        kept = [None] * len(chunks)

        def chunk(k, slot):
            n0, n1 = chunks[k]
            V = self._winograd_V(X, n0, n1, th, tw, nb_max, dtype, f"wV{k}" if keep else "wV", slot)
            kept[k] = V
            M = self._worker(n1 - n0, nb_max, dtype, slot)("wM", (16, V.shape[1], O))
            np.matmul(V, U, out=M)
            output_transform(M, bias, Y[n0:n1])
        parallel.run(chunk, len(chunks), self._winograd_bytes(X.shape[1], th, tw, nb_max, dtype))
        self._wino_V = kept if keep else None
        self._X, self._cols = X, None
        return Y[:, :geo.out_hw[0], :geo.out_hw[1]].transpose(0, 3, 1, 2)

    def backward(self, G):
        if not getattr(self, "_wino", False):
            return super().backward(G)
        X = self._cached("_X")
        N, C, H, W = X.shape
        geo = self._geometry((H, W))
        O, (p, q) = self.out_channels, self.padding
        if getattr(G, "shape", None) != (N, O) + geo.out_hw:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {(N, O) + geo.out_hw}")
        dtype = np.result_type(X.dtype, G.dtype, self.weight.dtype)
        th, tw, chunks, nb_max = self._winograd_plan(X.shape, geo, dtype)
        with parallel.one_blas_thread(len(chunks), self._winograd_bytes(X.shape[1], th, tw, nb_max, dtype)):
            return self._winograd_backward_chunks(X, G, geo, dtype, th, tw, chunks, nb_max)

    def _winograd_backward_chunks(self, X, G, geo, dtype, th, tw, chunks, nb_max):
        N, C, H, W = X.shape
        O, (p, q) = self.out_channels, self.padding
        U = filter_transform(self.weight.data.astype(dtype, copy=False))
        Us = (U * SIGNS.astype(dtype)[:, None, None]).transpose(0, 2, 1)   # σ U[ξ]ᵀ: dV from the signed dM
        dU = np.zeros((16, C, O), dtype)
        dX = recycled(self, "dX", dtype, shape=(N, 2 * th + 2, 2 * tw + 2, C)) if self.propagate_down else None
        nbytes = self._winograd_bytes(X.shape[1], th, tw, nb_max, dtype)
        sums = parallel.OrderedSum([dU] if self.bias is None else [dU, self.bias.grad], dtype,
                                   parallel.active(len(chunks), nbytes))

        def chunk(k, slot):
            n0, n1 = chunks[k]
            work = self._worker(n1 - n0, nb_max, dtype, slot)
            V = None if self._wino_V is None else self._wino_V[k]
            if V is None or V.dtype != dtype:
                V = self._winograd_V(X, n0, n1, th, tw, nb_max, dtype, slot=slot)
            dM = work("wM", (16, V.shape[1], O))
            output_grad_transform(G[n0:n1], th, tw, dM, work)
            parts = sums.parts(k)
            if self.bias is not None:
                np.matmul(self._ones_like(dM.shape[1], dtype), dM[5], out=parts[1])
            np.matmul(V.transpose(0, 2, 1), dM, out=parts[0])
            sums.done(k)
            if dX is not None:
                dV = work("wdV", (16, V.shape[1], C))
                np.matmul(dM, Us, out=dV)
                input_grad_transform(dV, dX[n0:n1], work)
        parallel.run(chunk, len(chunks), nbytes)
        self.weight.grad += filter_grad(dU * SIGNS.astype(dtype)[:, None, None], dtype)
        return None if dX is None else dX[:, p:p + H, q:q + W].transpose(0, 3, 1, 2)
