"""Connectionist temporal classification (Graves et al., 2006): the loss of a
sequence of per-step class scores against a shorter label sequence, summed over
every alignment, in log space."""
import numpy as np

from .ctc_inputs import check_ctc_inputs
from .loss import Loss, register


@register
class CTC(Loss):
    """L_n = −log p(l_n | x_n) = −log Σ_{π ∈ B⁻¹(l_n)} Π_t y_t(π_t), where B removes repeats, then blanks.

    ``forward(log_probs, targets, input_lengths=None, target_lengths=None)``, batch first:
    log_probs (N, T, C) log-probabilities (a LogSoftmax over the last axis), targets (N, S)
    padded label rows (or the 1-d concatenation of the sequences, as torch.nn.CTCLoss),
    input_lengths (N,) T_n <= T, target_lengths (N,) S_n <= S. Left out: every T_n = T, and
    S_n = the count of each row's leading labels before its padding (the blank or a negative value),
    so ``forward(log_probs, targets)`` works on rows padded with the blank — what a config's
    trainer passes. The value is torch.nn.CTCLoss's on the time-first transpose: reduction
    'mean' = mean_n L_n / max(S_n, 1), 'sum' = Σ_n L_n, 'none' = the (N,) array L_n.
    ``zero_infinity``: an impossible alignment (T_n too short for l_n) gives 0, not inf, and no gradient.

    Forward-backward over the extended labels l' = (b, l₁, b, l₂, …, b) (2S+1 positions), in
    log space, vectorized over the batch and the positions, one loop over time:

        α_t(s) = y_t(l'_s) · [α_{t−1}(s) + α_{t−1}(s−1) + α_{t−1}(s−2)·[l'_s ≠ b, l'_s ≠ l'_{s−2}]]
        β_t(s) = y_t(l'_s) · [β_{t+1}(s) + β_{t+1}(s+1) + β_{t+1}(s+2)·[l'_{s+2} ≠ b, l'_{s+2} ≠ l'_s]]
        p(l|x) = α_{T−1}(2S) + α_{T−1}(2S−1)         (each sum is a logsumexp in code)

    Backward returns what torch.nn.CTCLoss returns for log_probs (times the reduction's weight):

        dL_n/dlog y_t(c) = y_t(c) − (1/(p y_t(c))) Σ_{s: l'_s = c} α_t(s) β_t(s)     (t < T_n; 0 after)

    — Graves' eq. 16, the gradient with respect to the logits u when log y = log_softmax(u). It
    differs from the derivative with respect to free log_probs by y_t(c), a term whose rows sum
    to 1 and which LogSoftmax's backward (G − softmax·ΣG) removes: through a LogSoftmax, both give
    the same gradient of the logits. The occupancy sums are one batched GEMM of the posteriors
    γ_t(s) = α_t(s) β_t(s) / (p y_t(l'_s)) with each sample's (2S+1, C) one-hot label matrix.
    Memory: α and β, (T, N, 2S+1) each.
    """

    predictions = ("log_probs",)

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction)
        if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) or blank < 0:
            raise ValueError(f"CTC: blank must be a class index >= 0, got {blank!r}")
        self.blank, self.zero_infinity = int(blank), bool(zero_infinity)

    @classmethod
    def arguments(cls):
        """The prediction and the target a caller such as the trainer passes (the lengths are
        optional: T, and each label row up to its padding)."""
        return ("log_probs", "targets")

    def forward(self, log_probs, targets, input_lengths=None, target_lengths=None):
        lp, tg, T_n, S_n = check_ctc_inputs(self, log_probs, targets, input_lengths, target_lengths)
        N, T, C = lp.shape
        lpe, alpha, beta, ext = forward_backward(lp, tg, T_n, S_n, self.blank)
        rows = np.arange(N)
        last = alpha[T_n - 1, rows]                       # (N, L + 2): two log-zero pad columns in front
        nll = -np.logaddexp(last[rows, 2 * S_n + 2], last[rows, 2 * S_n + 1])    # positions 2S_n, 2S_n − 1
        nll[nll > -0.5 * log_zero(lp.dtype)] = np.inf     # no alignment: p = 0
        self._cache = (lp, ext, alpha, beta, lpe, nll, T_n)
        losses = nll.copy()
        if self.zero_infinity:
            losses[np.isinf(losses)] = 0
        self._weights = self._reduction_weights(S_n, N, lp.dtype)
        if self.reduction == "none":
            return losses
        return float(losses @ self._weights.astype(np.float64))

    def _reduction_weights(self, S_n, N, dtype):
        if self.reduction == "mean":
            return (1.0 / (np.maximum(S_n, 1) * N)).astype(dtype)
        return np.ones(N, dtype)

    def backward(self, grad=None):
        """dL/dlog_probs (N, T, C) as torch.nn.CTCLoss computes it (see the class docstring);
        ``grad``: the upstream gradient of reduction 'none' ((N,), default ones)."""
        lp, ext, alpha, beta, lpe, nll, T_n = self._cached("_cache")
        N, T, C = lp.shape
        w = self._weights
        if grad is not None:
            if self.reduction != "none" and np.ndim(grad) == 0:
                w = w * lp.dtype.type(grad)
            else:
                grad = np.asarray(grad, lp.dtype).reshape(-1)
                if grad.shape != (N,):
                    raise ValueError(f"{self!r}: the upstream gradient has shape {np.shape(grad)}, expected ({N},)")
                w = w * grad
        L = ext.shape[1]
        with np.errstate(invalid="ignore", over="ignore"):
            # γ_t(s) = α_t(s) β_t(s) / (p y_t(l'_s)): both α and β hold y_t(l'_s)
            gamma = alpha[:, :, 2:] + beta
            gamma -= lpe
            gamma += np.where(np.isinf(nll), 0, nll)[None, :, None].astype(lp.dtype)
            np.exp(gamma, out=gamma)
        onehot = np.zeros((N, L, C), lp.dtype)
        onehot[np.arange(N)[:, None], np.arange(L)[None, :], ext] = 1
        G = np.exp(lp)
        G -= np.matmul(gamma.transpose(1, 0, 2), onehot)             # Σ_{s: l'_s = c} γ_t(s), (N, T, C)
        if T_n.min() < T:
            G[np.arange(T)[None, :] >= T_n[:, None]] = 0                # no gradient after a sample's end
        G *= w[:, None, None]
        impossible = np.isinf(nll)
        if impossible.any():     # zero_infinity: no gradient; else NaN before T_n, as torch.nn.CTCLoss
            G[impossible] = 0 if self.zero_infinity else np.where(
                np.arange(T)[None, :, None] < T_n[impossible, None, None], np.nan, 0)
        return G

    def extra_repr(self):
        parts = [f"blank={self.blank}"] if self.blank else []
        parts += [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        return ", ".join(parts + (["zero_infinity=True"] if self.zero_infinity else []))


def log_zero(dtype):
    """The finite stand-in for log 0: far below any log-probability, and twice it still finite, so
    the recursion never computes −inf − (−inf) (no NaN, no floating-point warnings in the loop)."""
    return np.finfo(dtype).min / 8


def _extended(tg, blank):
    """l' = (b, l1, b, l2, …, b): (N, 2S + 1) class indices."""
    N, S = tg.shape
    ext = np.full((N, 2 * S + 1), blank, np.intp)
    ext[:, 1::2] = tg
    return ext


def _skips(ext, blank, dtype):
    """The additive mask of the skips s−2 → s: 0 where l'_s is a label that differs from
    l'_{s−2}, log 0 elsewhere."""
    skip = np.full(ext.shape, log_zero(dtype), dtype)
    skip[:, 2:][(ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])] = 0
    return skip


def forward_backward(lp, tg, T_n, S_n, blank):
    """(lpe, α, β, l'): lpe (T, N, L) = log y_t(l'_s); α (T, N, L + 2) with two log-zero pad
    columns in front; β (T, N, L), a view.

    β is α of the reversed problem: steps and extended positions both flipped, lpe[::-1, :, ::-1]
    (with padding the blank, l' reversed is the reversed sequence's l', right-aligned; a sample
    of T_n < T steps starts at step T − T_n), so ONE loop over time computes both, on 2N rows."""
    N, T, C = lp.shape
    S = tg.shape[1]
    L = 2 * S + 1
    lz = log_zero(lp.dtype)
    ext = _extended(tg, blank)
    lpe2 = np.empty((T, 2 * N, L), lp.dtype)
    lpe = lpe2[:, :N]
    np.copyto(lpe, np.take_along_axis(lp, ext[:, None, :], axis=2).transpose(1, 0, 2))
    np.maximum(lpe, lz, out=lpe)                              # log 0 = −inf inputs become the finite log zero
    np.copyto(lpe2[:, N:], lpe[::-1, :, ::-1])
    mask = np.concatenate([_skips(ext, blank, lp.dtype), _skips(ext[:, ::-1], blank, lp.dtype)])
    A = np.full((T, 2 * N, L + 2), lz, lp.dtype)
    # every row starts from its first two positions: 0 and 1 forward, L − L_n and L − L_n + 1 reversed,
    # at step 0 forward and at step T − T_n reversed
    both = np.arange(2 * N)
    first = np.concatenate([np.zeros(N, np.intp), 2 * (S - S_n)])
    two = np.concatenate([S_n > 0, S_n > 0])                  # an empty target starts at its one blank
    at = np.concatenate([np.zeros(N, np.intp), T - T_n])
    starts = {}
    for t in np.unique(at):
        r = both[at == t]
        r2 = r[two[r]]
        starts[int(t)] = (r, first[r], r2, first[r2] + 1)
    lse = _LogSumExp3((2 * N, L), lp.dtype)
    for t in range(T):
        if t:
            prev = A[t - 1]
            lse(prev[:, 2:], prev[:, 1:-1], prev[:, :-2], mask, lpe2[t], A[t, :, 2:])
        begin = starts.get(t)
        if begin is not None:
            r, s0, r2, s1 = begin
            A[t, r, 2:] = lz
            A[t, r, 2 + s0] = lpe2[t, r, s0]
            A[t, r2, 2 + s1] = lpe2[t, r2, s1]
    beta = A[::-1, N:, :1:-1]                                 # β_t(s) = α_rev at step T−1−t, position L−1−s
    return lpe, A[:, :N], beta, ext


class _LogSumExp3:
    """out = log(e^a + e^b + e^(c + mask)) + lp elementwise, with reused buffers (finite log zero: no NaN)."""

    def __init__(self, shape, dtype):
        self.m = np.empty(shape, dtype)
        self.e = np.empty((3,) + shape, dtype)
        self.c = np.empty(shape, dtype)

    def __call__(self, a, b, c, mask, lp, out):
        m, e, cm = self.m, self.e, self.c
        np.add(c, mask, out=cm)
        np.maximum(a, b, out=m)
        np.maximum(m, cm, out=m)
        np.subtract(a, m, out=e[0])
        np.subtract(b, m, out=e[1])
        np.subtract(cm, m, out=e[2])
        np.exp(e, out=e)
        np.add(e[0], e[1], out=out)
        out += e[2]
        np.log(out, out=out)
        m += lp
        out += m


register(CTC, name="CTCLoss")   # PyTorch's name
