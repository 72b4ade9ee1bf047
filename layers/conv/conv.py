"""2-d convolution (cross-correlation, as Caffe and PyTorch), NCHW."""
import numpy as np

from ..runtime import parallel
from .conv_backward import ConvBackward
from .im2col import Geometry, channels, im2col, pair
from ..core.init import check_init, init_weight
from ..core.layer import Layer
from ..core.random import get_rng
from ..core.registry import register
from ..runtime.scratch import recycled
from .winograd_conv import WinogradConv

CACHE_BYTES = 8 << 20  # column matrices up to this size are built whole and kept for backward
CHUNK_BYTES = 2 << 20  # larger ones are built and used a cache-sized chunk of samples at a time
NARROW = 8             # at most this many output channels per group: the GEMM streams its columns ...
NARROW_BYTES = 384 << 10  # ... so they are built in chunks this small, read back from L2 (see _chunks)


@register
class Conv2d(WinogradConv, ConvBackward, Layer):
    """Y[n, o] = b[o] + Σ_{c in group(o), i, j} W[o, c, i, j] · X[n, c, ho·s + i·d − p, wo·s + j·d − p]

    X: (N, in_channels, H, W) -> Y: (N, out_channels, Ho, Wo) with
    Ho = ⌊(H + 2p − d(kh − 1) − 1) / s⌋ + 1 (likewise Wo); zero padding.
    W: (out_channels, in_channels / groups, kh, kw); b: (out_channels,).
    kernel_size, stride, padding, dilation: an int or an (h, w) pair.
    groups: input and output channels are split into that many groups, each
    convolved with its own filters (groups = in_channels: depthwise).
    Init as PyTorch: W, b ~ U(−k, k), k = 1 / sqrt(in_channels / groups · kh · kw);
    ``init`` picks another rule for W (kaiming_*, xavier_*; see layers.core.init).

    Forward is one GEMM per group, Y = W₂ · cols, where cols is the im2col
    matrix (C·kh·kw, N·Ho·Wo) of X and W₂ the weight as (O, C·kh·kw).
    Backward (G = dL/dY as (O, N·Ho·Wo)):

        dW += G colsᵀ,   db += G 1,   dX = col2im(W₂ᵀ G)

    where col2im adds every column back onto the input pixel it was copied
    from (the adjoint of im2col). For stride 1 the same dX is computed either
    as the full convolution of G with the flipped, transposed kernel or as
    col2im on the padded grid, whichever moves less data. Batches whose
    columns exceed a few MB are processed in cache-sized chunks of samples
    (backward then rebuilds each chunk's columns, as Caffe does). dX is
    skipped (None) when ``propagate_down`` is False. The output and dX are
    returned as NCHW arrays whose memory is channel-major ((C, N, H, W)
    order), which a following convolution reads without a transposing copy.
    Backward lives in ``conv_backward.ConvBackward``.

    algo: "im2col" (the above), "winograd" (Winograd F(2x2, 3x3): 2.25x fewer
    multiplies; only for 3x3 kernels with stride 1, dilation 1, groups 1, else
    ValueError) or "auto" (default: Winograd where it can run and pays, i.e. at
    least 16 input and output channels and an output of at least 8x8; see
    ``winograd_conv``). Both give the same results up to rounding.

    With ``kubik.set_num_threads(n)``, chunks of samples run on n threads
    (``layers.runtime.parallel``; the same results bit for bit).
    """
    splits_samples = True   # threads.blas_threads_for asks splits(): BLAS at one thread when it does

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, rng=None, dtype=np.float32, init="default", algo="auto"):
        super().__init__()
        self.in_channels, self.out_channels, self.groups = channels("Conv2d", in_channels, out_channels, groups)
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2d", "stride", stride, 1)
        self.padding = pair("Conv2d", "padding", padding, 0)
        self.dilation = pair("Conv2d", "dilation", dilation, 1)
        kh, kw = self.kernel_size
        self.init = check_init("Conv2d", init)
        rng = get_rng(rng)
        k = 1.0 / np.sqrt(self.in_channels // self.groups * kh * kw)
        shape = (self.out_channels, self.in_channels // self.groups, kh, kw)
        self.add_parameter("weight", init_weight(init, shape, shape[1] * kh * kw, shape[0] * kh * kw, rng, dtype))
        self.bias = None
        if bias:
            self.add_parameter("bias", rng.uniform(-k, k, self.out_channels).astype(dtype))
        self.algo = algo  # checked by WinogradConv's setter
        self._astype_hook(None)

    def _astype_hook(self, dtype):
        self._geo = {}      # (H, W) -> Geometry
        self._buffers = {}  # name -> reused work array
        self._ones = np.ones(0, self.weight.dtype)
        self._wino, self._wino_V = False, None

    @classmethod
    def infer_args(cls, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Conv2d: expected a per-sample input shape (C, H, W), got {tuple(input_shape)}")
        return {"in_channels": input_shape[0]}

    def _geometry(self, hw):
        geo = self._geo.get(hw)
        if geo is None:
            geo = Geometry(hw, self.kernel_size, self.stride, self.padding, self.dilation)
            if min(geo.out_hw) < 1:
                raise ValueError(f"{self!r}: input of size {hw[0]}x{hw[1]} is smaller than the kernel "
                                 f"(with padding and dilation); output would be {geo.out_hw[0]}x{geo.out_hw[1]}")
            self._geo = {hw: geo}  # forget other sizes (and the transposed geometry)
            self._buffers = {}     # a zero-bordered column buffer of the same shape holds another size's pixels
        return geo

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] != self.in_channels:
            raise self._shape_error(f"({self.in_channels}, H, W) per sample", tuple(input_shape))
        return (self.out_channels,) + self._geometry(tuple(input_shape[1:])).out_hw

    def _buffer(self, name, shape, dtype, zero):
        """A work array reused across calls (fresh large temporaries cost page faults)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._buffers[name] = (np.zeros if zero else np.empty)(shape, dtype)
        return buf

    def _pointwise(self):
        return self.kernel_size == (1, 1) and self.stride == (1, 1) and self.padding == (0, 0)

    def _chunks(self, N, per_sample):
        """Sample ranges whose column matrices stay cache-sized. One chunk when the
        whole batch is small: its columns are then kept for backward; otherwise
        backward rebuilds each chunk's columns (as Caffe does) instead of reading
        a large matrix back from memory. With few output channels (LeNet's
        conv1: 8, K = 25) the GEMMs read each column only a few times, so
        columns written just before, still in L2, pay even when backward builds
        them again: conv1's forward 1.2 -> 0.6 ms, backward 1.0 -> 0.65 ms
        (conv2, 16 channels and K = 200, was slower in chunks)."""
        if self.out_channels // self.groups <= NARROW:
            nb = max(1, NARROW_BYTES // per_sample)
        else:
            nb = N if N * per_sample <= CACHE_BYTES else max(1, CHUNK_BYTES // per_sample)
        return [(n, min(n + nb, N)) for n in range(0, N, nb)]

    def splits(self, input_shape, batch, threads):
        """Whether a batch of ``batch`` samples of ``input_shape`` (C, H, W) would be
        split between ``threads`` threads (layers.runtime.parallel; threads.blas_threads_for)."""
        geo = Geometry(tuple(input_shape[1:]), self.kernel_size, self.stride, self.padding, self.dilation)
        dtype = self.weight.dtype
        if self._winograd_for(geo.out_hw):
            th, tw, chunks, nb = self._winograd_plan((batch,) + tuple(input_shape), geo, dtype)
            return parallel.would_split(len(chunks), self._winograd_bytes(input_shape[0], th, tw, nb, dtype), threads)
        per_sample = input_shape[0] * geo.kernel_size * geo.out_hw[0] * geo.out_hw[1] * dtype.itemsize
        chunks = self._chunks(batch, per_sample)
        return parallel.would_split(len(chunks), self._chunk_bytes(chunks, input_shape[0], geo, dtype), threads)

    def _chunk_bytes(self, chunks, C, geo, dtype):
        """The size of one chunk's column matrix: what layers.runtime.parallel weighs a chunk by."""
        return (chunks[0][1] - chunks[0][0]) * C * geo.kernel_size * geo.out_hw[0] * geo.out_hw[1] * dtype.itemsize

    def _columns(self, Xc, n0, n1, geo, dtype, slot=0):
        """im2col of samples n0..n1 of the channel-major input, as (groups, Cg·kh·kw, nb·Ho·Wo),
        in thread ``slot``'s buffer (layers.runtime.parallel)."""
        C, nb = Xc.shape[0], n1 - n0
        if self._pointwise() and Xc.dtype == dtype and Xc[:, n0:n1].flags.c_contiguous:
            cols = Xc[:, n0:n1]  # a 1x1 convolution of channel-major data: the input is its own column matrix
        else:
            name = "cols_tail" if 0 < n0 and n1 == Xc.shape[1] else "cols"  # a shorter last chunk: own buffer
            cols = self._buffer(f"{name}@{slot}", (C, geo.kernel_size, nb) + geo.out_hw, dtype, zero=not geo.full)
            im2col(Xc[:, n0:n1], cols, geo)
        return cols.reshape(self.groups, -1, nb * geo.out_hw[0] * geo.out_hw[1])

    def forward(self, X):
        if getattr(X, "ndim", 0) != 4 or X.shape[1] != self.in_channels:
            raise self._shape_error(f"(N, {self.in_channels}, H, W)", X)
        N, C, H, W = X.shape
        geo = self._geometry((H, W))
        P = geo.out_hw[0] * geo.out_hw[1]
        O, g = self.out_channels, self.groups
        dtype = np.result_type(X.dtype, self.weight.dtype)
        self._wino = self._winograd_for(geo.out_hw)
        if self._wino:
            return self._winograd_forward(X, geo, dtype)
        Xc = X.transpose(1, 0, 2, 3)  # channel-major view
        W2 = self.weight.data.reshape(g, O // g, -1)
        chunks = self._chunks(N, C * geo.kernel_size * P * dtype.itemsize)
        Y = recycled(self, "Y", dtype, shape=(g, O // g, N * P))
        cols = [None]

        def chunk(k, slot):
            n0, n1 = chunks[k]
            cols[0] = self._columns(Xc, n0, n1, geo, dtype, slot)
            np.matmul(W2, cols[0], out=Y[:, :, n0 * P:n1 * P])
        parallel.run(chunk, len(chunks), self._chunk_bytes(chunks, C, geo, dtype))
        Y = Y.reshape(O, N * P)
        if self.bias is not None:
            Y += self.bias.data[:, None]  # long rows: fast broadcast
        self._X, self._cols = X, (cols[0] if len(chunks) == 1 else None)
        return Y.reshape((O, N) + geo.out_hw).transpose(1, 0, 2, 3)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.init != "default":
            s += f", init={self.init!r}"
        if getattr(self, "algo", "auto") != "auto":
            s += f", algo={self.algo!r}"
        return s
