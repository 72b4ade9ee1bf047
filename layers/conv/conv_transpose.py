"""2-d transposed convolution (PyTorch's ConvTranspose2d), NCHW: the VJP pair of Conv2d."""
import numpy as np

from ..core.init import check_init, init_weight
from ..core.layer import Layer
from ..core.random import get_rng
from ..core.registry import register
from ..runtime import parallel
from ..runtime.scratch import recycled
from .conv_transpose_backward import ConvTransposeBackward
from .conv_transpose_phases import PhaseForward
from ..kernels import kernel
from .im2col import Geometry, channels, col2im, pair

CACHE_BYTES = 8 << 20  # column matrices up to this size are made whole; larger ones a chunk of samples at a time
CHUNK_BYTES = 2 << 20  # (as Conv2d: the chunk's columns are still in cache when col2im / the GEMM reads them)


def transposed_size(size, kernel, stride, padding, output_padding, dilation):
    """Output length along one axis: (size − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


@register
class ConvTranspose2d(PhaseForward, ConvTransposeBackward, Layer):
    """Y[n, o, h·s − p + i·d, w·s − p + j·d] += Σ_{c in group(o)} W[c, o', i, j] · X[n, c, h, w]   (+ b[o])

    The adjoint of Conv2d: its forward is Conv2d's input gradient (every input
    pixel spreads a kh×kw patch of weights onto the output), its backward is
    Conv2d's forward. X: (N, in_channels, H, W) -> Y: (N, out_channels, Ho, Wo),
    Ho = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1 (likewise Wo).
    W: (in_channels, out_channels / groups, kh, kw), exactly PyTorch's layout
    (o' = o's index inside its group); b: (out_channels,). kernel_size, stride,
    padding, output_padding, dilation: an int or an (h, w) pair; output_padding
    (extra rows and columns at the bottom and right, which only the bias reaches)
    must be smaller than the stride or the dilation, as PyTorch's. Init as PyTorch's:
    W, b ~ U(−k, k), k = 1 / sqrt(out_channels / groups · kh · kw).

    Forward, with W₂ the weight as (C/g, O/g·kh·kw) per group and X as (C, N·H·W):

        cols = W₂ᵀ X,   Y = col2im(cols) + b

    where col2im adds every column entry onto the output pixel its window
    element lands on (the col2im of Conv2d, on a Conv2d geometry whose input is
    Y and whose output is X). Backward (G = dL/dY), with cols_G = im2col(G):

        dX = W₂ cols_G,   dW += X cols_Gᵀ,   db += Σ_{n,h,w} G

    One GEMM each, a cache-sized chunk of samples at a time (chunks run on
    kubik's threads as Conv2d's do; ``layers.runtime.parallel``), on the
    compiled im2col / col2im kernels where the numba backend is on. Outputs and
    dX are channel-major in memory, as Conv2d's. dX is skipped (None) when
    ``propagate_down`` is False.
    """
    splits_samples = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, rng=None, dtype=np.float32, init="default"):
        super().__init__()
        name = type(self).__name__
        self.in_channels, self.out_channels, self.groups = channels(name, in_channels, out_channels, groups)
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride = pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)
        self.output_padding = pair(name, "output_padding", output_padding, 0)
        self.dilation = pair(name, "dilation", dilation, 1)
        if any(op >= s and op >= d for op, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise ValueError(f"{name}: output_padding {self.output_padding} must be smaller than either the stride "
                             f"{self.stride} or the dilation {self.dilation}")
        kh, kw = self.kernel_size
        self.init = check_init(name, init)
        rng = get_rng(rng)
        shape = (self.in_channels, self.out_channels // self.groups, kh, kw)
        fan = shape[1] * kh * kw       # PyTorch's fan_in of a transposed convolution's weight: dim 1 · k
        self.add_parameter("weight", init_weight(init, shape, fan, shape[0] * kh * kw, rng, dtype))
        self.bias = None
        if bias:
            k = 1.0 / np.sqrt(fan)
            self.add_parameter("bias", rng.uniform(-k, k, self.out_channels).astype(dtype))
        self._astype_hook(None)

    def _astype_hook(self, dtype):
        self._geo = {}       # (H, W) -> (Geometry, output size); ("phases", H, W) -> PhasePlan (numpy path)
        self._buffers = {}
        self._ones = np.ones(0, self.weight.dtype)

    @classmethod
    def infer_args(cls, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{cls.__name__}: expected a per-sample input shape (C, H, W), got {tuple(input_shape)}")
        return {"in_channels": input_shape[0]}

    def _geometry(self, hw):
        """(geo, (Ho, Wo)): the Conv2d geometry from the (Ho, Wo) output to the input. Its
        output size is (H, W), or larger where output_padding ≥ stride (allowed when it is
        smaller than the dilation): X is then read as zero-padded at its end."""
        got = self._geo.get(hw)
        if got is None:
            args = (self.kernel_size, self.stride, self.padding, self.dilation)
            out = tuple(transposed_size(n, k, s, p, op, d) for n, k, s, p, op, d
                        in zip(hw, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation))
            if min(out) < 1:
                raise ValueError(f"{self!r}: input of size {hw[0]}x{hw[1]} gives an output of "
                                 f"{out[0]}x{out[1]} (the padding takes more than the kernel adds)")
            got = self._geo = {hw: (Geometry(out, *args), out)}
            self._buffers = {}
            got = got[hw]
        return got

    def _padded(self, X, geo):
        """X zero-padded at its end to the geometry's output size (only where output_padding ≥ stride)."""
        extra = [g - n for g, n in zip(geo.out_hw, X.shape[2:])]
        return X if not any(extra) else np.pad(X, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] != self.in_channels:
            raise self._shape_error(f"({self.in_channels}, H, W) per sample", tuple(input_shape))
        return (self.out_channels,) + self._geometry(tuple(input_shape[1:]))[1]

    def _buffer(self, name, shape, dtype, zero=False):
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._buffers[name] = (np.zeros if zero else np.empty)(shape, dtype)
        return buf

    def _chunks(self, N, per_sample):
        nb = N if N * per_sample <= CACHE_BYTES else max(1, CHUNK_BYTES // per_sample)
        return [(n, min(n + nb, N)) for n in range(0, N, nb)]

    def _plan(self, N, hw, dtype):
        """(chunks, bytes of one chunk's columns) for a batch of N inputs of size hw."""
        per_sample = self.out_channels * self.kernel_size[0] * self.kernel_size[1] * hw[0] * hw[1] * dtype.itemsize
        chunks = self._chunks(N, per_sample)
        return chunks, (chunks[0][1] - chunks[0][0]) * per_sample

    def splits(self, input_shape, batch, threads):
        """Whether a batch of ``batch`` samples of ``input_shape`` (C, H, W) is split between threads."""
        chunks, nbytes = self._plan(batch, tuple(input_shape[1:]), self.weight.dtype)
        return parallel.would_split(len(chunks), nbytes, threads)

    def _cols_name(self, n0, n1, N, slot):
        return f"{'tail' if 0 < n0 and n1 == N else 'cols'}@{slot}"   # a shorter last chunk: its own buffer

    def forward(self, X):
        if getattr(X, "ndim", 0) != 4 or X.shape[1] != self.in_channels:
            raise self._shape_error(f"(N, {self.in_channels}, H, W)", X)
        hw = X.shape[2:]
        geo, out_hw = self._geometry(hw)
        X = self._padded(X, geo)
        N, C, H, W = X.shape
        O, g, KK = self.out_channels, self.groups, self.kernel_size[0] * self.kernel_size[1]
        dtype = np.result_type(X.dtype, self.weight.dtype)
        Xc = X.transpose(1, 0, 2, 3)
        W2t = self.weight.data.reshape(g, C // g, -1).transpose(0, 2, 1)     # (g, O/g·kh·kw, C/g)
        compiled = kernel("col2im") is not None
        Yc = recycled(self, "Y", dtype, shape=(O, N) + out_hw, zero=compiled)    # col2im adds into zeros
        chunks, nbytes = self._plan(N, (H, W), dtype)
        plan = None if compiled else self._phase_plan((H, W), out_hw)

        def chunk(k, slot):
            n0, n1 = chunks[k]
            name = self._cols_name(n0, n1, N, slot)
            if plan is not None:         # numpy: col2im by output phases (conv_transpose_phases)
                return self._phase_chunk(Xc, n0, n1, W2t, Yc, plan, dtype, name)
            cols = self._buffer(name, (g, W2t.shape[1], (n1 - n0) * H * W), dtype)
            np.matmul(W2t, Xc[:, n0:n1].reshape(g, C // g, -1), out=cols)
            col2im(cols.reshape(O, KK, n1 - n0, H, W), Yc[:, n0:n1], geo)
        parallel.run(chunk, len(chunks), nbytes)
        if self.bias is not None and compiled:
            Y2 = Yc.reshape(O, -1)
            Y2 += self.bias.data[:, None]           # long rows: a fast broadcast
        self._X, self._input_hw = X, hw              # (X padded where output_padding ≥ stride)
        return Yc.transpose(1, 0, 2, 3)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        for arg, default in (("padding", (0, 0)), ("output_padding", (0, 0)), ("dilation", (1, 1))):
            if getattr(self, arg) != default:
                s += f", {arg}={getattr(self, arg)}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.init != "default":
            s += f", init={self.init!r}"
        return s
