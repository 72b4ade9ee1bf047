"""The benchmark workloads, described once for every framework: shapes, batch,
epoch size, the GEMMs a step performs (for GFLOP/s) and the synthetic data.

Imports numpy only, so the memory subprocess of either framework can use it
without importing the other one.
"""
from dataclasses import dataclass

import numpy as np

POOL = 8  # distinct synthetic batches cycled through (an epoch re-reads them)


@dataclass(frozen=True)
class Spec:
    name: str
    description: str
    batch: int
    input_shape: tuple         # per sample
    kind: str                  # "classify" (int labels), "binary" (0/1 targets), "grad" (fixed dL/dY),
                               # "ctc" (log-probabilities and label rows for a CTC loss)
    gemms: tuple               # (M, N, K) of each GEMM layer's forward product
    samples: int = 0           # epoch size; 0: a fixed block of `steps` steps per repeat
    steps: int = 0             # steps per repeat when samples == 0
    min_steps: int = 10        # never time fewer steps than this per repeat
    target: float = 0.0        # kubik/torch time ratio to reach (issue 16)
    classes: int = 10
    output_shape: tuple = ()   # per sample, for kind "grad"

    @property
    def epoch_steps(self):
        """Full batches in one epoch (the last partial batch is dropped)."""
        return self.samples // self.batch if self.samples else self.steps

    def steps_per_repeat(self, fraction=1.0):
        if not self.samples:
            return self.steps
        return max(self.min_steps, min(self.epoch_steps, round(self.epoch_steps * fraction)))

    @property
    def flops_per_step(self):
        """GEMM FLOPs of one step: 2·M·N·K for the forward product and for each
        of the two backward products (weight gradient and input gradient)."""
        return sum(3 * 2 * m * n * k for m, n, k in self.gemms)


def _mlp(name, batch, target):
    dims = (784, 512, 256, 10)
    return Spec(name, f"784-512-256-10 ReLU MLP, CrossEntropy, SGD momentum 0.9, batch {batch}, "
                      "epoch of 60 000 samples",
                batch, (784,), "classify", tuple((batch, o, i) for i, o in zip(dims, dims[1:])),
                samples=60_000, target=target)


def _lenet_gemms(b):
    return ((b * 28 * 28, 8, 1 * 25), (b * 10 * 10, 16, 8 * 25), (b, 120, 400), (b, 84, 120), (b, 10, 84))


SPECS = {s.name: s for s in (
    _mlp("mlp_b128", 128, 0.72),
    _mlp("mlp_b32", 32, 0.60),
    Spec("textbook", "2-100-1 sigmoid net, BCE, plain SGD, batch 32, epoch of 10 000 samples",
         32, (2,), "binary", ((32, 100, 2), (32, 1, 100)), samples=10_000, min_steps=10_000 // 32,
         target=0.20),
    Spec("lenet_b64", "conv 1-8 5x5 pad 2, ReLU, maxpool 2, conv 8-16 5x5, ReLU, maxpool 2, Flatten, "
                      "Linear 400-120-84-10 (ReLU between), CrossEntropy, SGD momentum 0.9, batch 64",
         64, (1, 28, 28), "classify", _lenet_gemms(64), samples=60_000, min_steps=5, target=0.75),
    Spec("conv3x3", "one 3x3 conv 64-64 pad 1 on 32x32 maps, batch 32, forward + backward "
                    "(fixed dL/dY, input gradient too, no optimizer)",
         32, (64, 32, 32), "grad", ((32 * 32 * 32, 64, 64 * 9),), steps=6, target=1.0,
         output_shape=(64, 32, 32)),
)}

class Runner:
    """Cycles through ``data`` calling ``step(X, target)``; shared by both frameworks."""

    def __init__(self, step, data, model=None):
        self.step, self.data, self.model, self.i = step, data, model, 0

    def run(self, steps):
        data, step, n = self.data, self.step, len(self.data)
        for _ in range(steps):
            X, t = data[self.i % n]
            step(X, t)
            self.i += 1


MEMORY_TARGET = 0.6  # kubik/torch peak RSS ratio to reach


def make_data(spec, seed=0, pool=POOL):
    """`pool` float32 batches (X, target) for `spec`: labels int64 for
    "classify", 0/1 float32 column for "binary", a float32 dL/dY for "grad";
    for "ctc" X is log-softmax of normals and the target (N, S) labels in 1..C-1."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(pool):
        X = rng.standard_normal((spec.batch,) + spec.input_shape, dtype=np.float32)
        if spec.kind == "ctc":
            X -= X.max(-1, keepdims=True)
            X -= np.log(np.exp(X).sum(-1, keepdims=True))
            t = rng.integers(1, spec.classes, (spec.batch,) + spec.output_shape, dtype=np.int64)
        elif spec.kind == "classify":
            t = rng.integers(0, spec.classes, spec.batch, dtype=np.int64)
        elif spec.kind == "binary":
            t = (X[:, :1] * X[:, 1:2] > 0).astype(np.float32)  # an XOR-like target
        else:
            t = rng.standard_normal((spec.batch,) + spec.output_shape, dtype=np.float32)
        out.append((X, t))
    return out

# Sequences (issue 14): one LSTM layer over T = 32 steps, CrossEntropy on the last step's
# output through a Linear head; GEMMs: the input projection of all steps, the 32 per-step
# recurrent products (as one (N·T, 4H, H) total) and the head.
SPECS["lstm_b64"] = Spec("lstm_b64", "LSTM 64-256 over T=32 (batch first), last step -> Linear 256-10, "
                                     "CrossEntropy, SGD momentum 0.9, batch 64",
                         64, (32, 64), "classify", ((64 * 32, 4 * 256, 64), (64 * 32, 4 * 256, 256), (64, 10, 256)),
                         samples=64 * 40, min_steps=5, target=1.5)

# Attention (issue 27): one Transformer encoder layer (post-norm, relu, dropout 0) on (N, T, E)
# = (32, 64, 128), 4 heads, feed-forward 512, then the mean over time -> Linear 128-10,
# CrossEntropy, SGD momentum 0.9. GEMMs: the q|k|v projection, the heads' scores and weighted
# values (N·h products of (T, d)·(d, T) and (T, T)·(T, d), written as one (N·h·T, ·, ·) total),
# the output projection, the two feed-forward Linears and the head.
_B, _T, _E, _H, _F = 32, 64, 128, 4, 512
SPECS["transformer_b32"] = Spec(
    "transformer_b32", "TransformerEncoderLayer d_model 128, 4 heads, feed-forward 512, dropout 0, T=64 (batch "
                       "first), mean over time -> Linear 128-10, CrossEntropy, SGD momentum 0.9, batch 32",
    _B, (_T, _E), "classify", ((_B * _T, 3 * _E, _E), (_B * _H * _T, _T, _E // _H), (_B * _H * _T, _E // _H, _T),
                               (_B * _T, _E, _E), (_B * _T, _F, _E), (_B * _T, _E, _F), (_B, 10, _E)),
    samples=_B * 40, min_steps=5, target=1.3)
# The attention block alone, forward + backward with a fixed dL/dY (the input gradient too):
# what the peak-memory comparison of attention is taken on.
SPECS["attention_b32"] = Spec(
    "attention_b32", "MultiheadAttention 128, 4 heads, self-attention on (32, 64, 128), forward + backward "
                     "(fixed dL/dY, input gradient too, no optimizer)",
    _B, (_T, _E), "grad", ((_B * _T, 3 * _E, _E), (_B * _H * _T, _T, _E // _H), (_B * _H * _T, _E // _H, _T),
                           (_B * _T, _E, _E)), steps=20, target=1.3, output_shape=(_T, _E))
# CTC loss and its gradient for log-probabilities (N, T, C) = (32, 50, 20), 10 labels per sample
# (no GEMM: flops_per_step is 0 and GFLOP/s are not meaningful).
SPECS["ctc_b32"] = Spec("ctc_b32", "CTC loss + gradient, log_probs (32, 50, 20) batch first (torch: its time-first "
                                   "transpose), 10 labels per sample, blank 0, reduction mean",
                        32, (50, 20), "ctc", (), steps=200, target=1.5, classes=20, output_shape=(10,))
# Transposed convolution (issue 26): a decoder's upsampling step, the VJP pair of a strided conv.
# Its GEMMs: forward (Cout·k², Cin) x (Cin, N·H·W); backward dX (Cin, Cout·k²) x (Cout·k², N·H·W) and dW.
SPECS["deconv"] = Spec("deconv", "one ConvTranspose2d 64-32, kernel 4, stride 2, padding 1, 16x16 -> 32x32 maps, "
                                 "batch 32, forward + backward (fixed dL/dY, input gradient too, no optimizer)",
                       32, (64, 16, 16), "grad", ((32 * 16 * 16, 32 * 16, 64),), steps=6, target=1.2,
                       output_shape=(32, 32, 32))
