"""SyncBatchNorm: batch normalization whose batch statistics are those of the
global batch, reduced over the ranks in forward and in backward.

With N ranks holding X_r (n_r values per channel, n = Σ n_r):

    forward:   μ = Σ_r ΣX_r / n,  σ² = Σ_r Σ(X_r − μ)² / n    (two allreduces of C values)
    backward:  ΣG and Σ(G ⊙ x̂) summed over the ranks (one allreduce of 2C values)
               dX_r = γ/s · (G_r − ΣG/n − x̂_r · Σ(G ⊙ x̂)/n);  dγ, dβ get this rank's
               sums (the gradient reduction adds the ranks' up)

so N ranks compute what one process computes on the whole batch (up to the
order of float additions). With one process it is BatchNorm, bit for bit.
The running statistics are the global batch's, equal on every rank
(``synchronized_stats``: the trainer does not average them). Evaluation uses
them and needs no communication. Accepts (N, C), (N, C, L) and (N, C, H, W).
``comm``: the communicator (default: nets.distributed.world() at first use).
"""
import numpy as np

from ...layers.normalization.batchnorm import _BatchNorm
from ...layers.core.registry import register


@register
class SyncBatchNorm(_BatchNorm):
    """BatchNorm over the global batch of all ranks (see the module docstring
    for the math): inputs (N, C), (N, C, L) or (N, C, H, W); arguments as
    ``BatchNorm1d``/``BatchNorm2d`` plus ``comm`` (default: ``world()`` at first
    use). In eval mode, or in one process, it is BatchNorm bit for bit."""
    _ndims = (2, 3, 4)
    _shapes = "(N, {C}), (N, {C}, L) or (N, {C}, H, W)"
    _per_sample = "({C},), ({C}, L) or ({C}, H, W)"
    synchronized_stats = True

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32, comm=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)
        self.comm = comm

    def _comm(self):
        if self.comm is None:
            from .world import world
            self.comm = world()
        return self.comm

    def forward(self, X):
        if not self.training or self._comm().size == 1:
            return super().forward(X)
        if getattr(X, "ndim", 0) not in self._ndims or X.shape[1] != self.num_features:
            raise self._shape_error(self._shapes.format(C=self.num_features), X)
        comm, C = self.comm, self.num_features
        axes = (0,) + tuple(range(2, X.ndim))
        bshape = (1, -1) + (1,) * (X.ndim - 2)
        stats = np.empty(C + 1, np.float64)
        stats[:C] = X.sum(axis=axes)
        stats[C] = X.size // C
        comm.allreduce(stats)
        n = int(stats[C])
        if n < 2:
            raise ValueError(f"{self!r}: expected more than 1 value per channel over all ranks when training, "
                             f"got {n}")
        mean = (stats[:C] / n).astype(X.dtype)
        xc = X - mean.reshape(bshape)
        sq = np.ascontiguousarray((xc * xc).sum(axis=axes), np.float64)
        var = (comm.allreduce(sq) / n).astype(X.dtype)
        if self.track_running_stats:
            self._update_running(mean, var, n)
        gamma, beta = self._params(X.dtype)
        inv = 1.0 / np.sqrt(var + self.eps)
        xhat = xc
        xhat *= inv.reshape(bshape)
        self._xhat, self._inv, self._batch_stats, self._n = xhat, inv.astype(X.dtype, copy=False), True, n
        Y = xhat * gamma.reshape(bshape)
        Y += beta.reshape(bshape)
        return Y

    def backward(self, G):
        if not getattr(self, "_batch_stats", False) or self._comm().size == 1:
            return super().backward(G)
        xhat, inv = self._cached("_xhat", "_inv")
        if getattr(G, "shape", None) != xhat.shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {xhat.shape}")
        C = self.num_features
        axes = (0,) + tuple(range(2, G.ndim))
        bshape = (1, -1) + (1,) * (G.ndim - 2)
        sum_g = G.sum(axis=axes)
        sum_gx = (G * xhat).sum(axis=axes)
        if self.affine:
            self.weight.grad += sum_gx
            self.bias.grad += sum_g
        sums = np.concatenate([sum_g, sum_gx]).astype(np.float64)
        self.comm.allreduce(sums)
        n = self._n
        scale = (self._params(G.dtype)[0] * inv).reshape(bshape)
        dX = xhat * (sums[C:] / n).astype(G.dtype).reshape(bshape)
        np.subtract(G, dX, out=dX)
        dX -= (sums[:C] / n).astype(G.dtype).reshape(bshape)
        dX *= scale
        return dX

    def __getstate__(self):      # the communicator is not part of the layer's state (a copy looks it up again)
        return {**vars(self), "comm": None}
