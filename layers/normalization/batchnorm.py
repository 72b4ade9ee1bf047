"""Batch normalization over the batch (and spatial) axes, per channel."""
import numpy as np

from ..core.layer import Layer
from ..core.registry import register


class _BatchNorm(Layer):
    """Y = γ · (X − μ) / sqrt(σ² + eps) + β, per channel (axis 1).

    Training: μ, σ² are the mean and biased variance of the batch over every
    axis but the channel axis (n values per channel); the running statistics
    are updated as PyTorch does: r ← (1 − m)·r + m·batch, with the unbiased
    variance σ²·n/(n − 1) (momentum=None: a cumulative average); a channel
    with a single value is an error, as in PyTorch. Evaluation uses the
    running mean and variance, so any batch size works, including 1. With
    ``track_running_stats=False`` there are no running statistics and the batch
    statistics are used in both modes.

    Parameters ``weight`` = γ (ones) and ``bias`` = β (zeros) if ``affine``;
    buffers ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked`` are saved in state_dict.

    Backward with x̂ = (X − μ)/s, s = sqrt(σ² + eps), sums over the n values
    of each channel:

        dβ += Σ G,  dγ += Σ G ⊙ x̂,
        training:  dX = γ/s · (G − Σ G / n − x̂ · Σ(G ⊙ x̂) / n)
        eval:      dX = γ/s · G          (μ and s are constants then)
    """

    _ndims = ()     # accepted input ranks
    _shapes = ""    # accepted input shapes, for messages ({C}: num_features)
    _per_sample = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if not (isinstance(eps, (int, float)) and eps > 0):
            raise ValueError(f"{name}: eps must be a positive number, got {eps!r}")
        if momentum is not None and not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
            raise ValueError(f"{name}: momentum must be in [0, 1] or None (cumulative average), got {momentum!r}")
        self.num_features, self.eps = int(num_features), float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        C = self.num_features
        self.weight = self.bias = None
        if self.affine:
            self.add_parameter("weight", np.ones(C, dtype))
            self.add_parameter("bias", np.zeros(C, dtype))
        if self.track_running_stats:
            self.add_buffer("running_mean", np.zeros(C, dtype))
            self.add_buffer("running_var", np.ones(C, dtype))
            self.add_buffer("num_batches_tracked", np.zeros((), np.int64))

    @classmethod
    def infer_args(cls, input_shape):
        if len(input_shape) + 1 not in cls._ndims:
            raise ValueError(f"{cls.__name__}: expected a per-sample input shape {cls._per_sample.format(C='C')}, "
                             f"got {tuple(input_shape)}")
        return {"num_features": input_shape[0]}

    def output_shape(self, input_shape):
        if len(input_shape) + 1 not in self._ndims or input_shape[0] != self.num_features:
            raise self._shape_error(self._per_sample.format(C=self.num_features) + " per sample", tuple(input_shape))
        return tuple(input_shape)

    def _params(self, dtype):
        if self.affine:
            return self.weight.data, self.bias.data
        return np.ones(self.num_features, dtype), np.zeros(self.num_features, dtype)

    def forward(self, X):
        if getattr(X, "ndim", 0) not in self._ndims or X.shape[1] != self.num_features:
            raise self._shape_error(self._shapes.format(C=self.num_features), X)
        axes = (0,) + tuple(range(2, X.ndim))
        bshape = (1, -1) + (1,) * (X.ndim - 2)  # broadcast a per-channel vector
        n = X.size // self.num_features
        gamma, beta = self._params(X.dtype)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            if n < 2:
                raise ValueError(f"{self!r}: expected more than 1 value per channel when training, got input of "
                                 f"shape {X.shape}")
            mean = X.sum(axis=axes) / n
            xc = X - mean.reshape(bshape)
            var = (xc * xc).sum(axis=axes) / n
            if self.training and self.track_running_stats:
                self._update_running(mean, var, n)
        else:
            mean, var = self.running_mean, self.running_var
            xc = X - mean.reshape(bshape)
        inv = 1.0 / np.sqrt(var + self.eps)
        xhat = xc
        xhat *= inv.reshape(bshape).astype(X.dtype, copy=False)
        self._xhat, self._inv, self._batch_stats = xhat, inv.astype(X.dtype, copy=False), use_batch
        Y = xhat * gamma.reshape(bshape)
        Y += beta.reshape(bshape)
        return Y

    def _update_running(self, mean, var, n):
        self.num_batches_tracked += 1
        m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        self.running_mean *= 1.0 - m
        self.running_mean += (m * mean).astype(self.running_mean.dtype, copy=False)
        self.running_var *= 1.0 - m
        self.running_var += (m * n / (n - 1) * var).astype(self.running_var.dtype, copy=False)

    def backward(self, G):
        xhat, inv = self._cached("_xhat", "_inv")
        if getattr(G, "shape", None) != xhat.shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {xhat.shape}")
        axes = (0,) + tuple(range(2, G.ndim))
        bshape = (1, -1) + (1,) * (G.ndim - 2)
        n = G.size // self.num_features
        sum_g = G.sum(axis=axes)
        sum_gx = (G * xhat).sum(axis=axes)
        if self.affine:
            self.weight.grad += sum_gx
            self.bias.grad += sum_g
        gamma = self._params(G.dtype)[0]
        scale = (gamma * inv).reshape(bshape)
        if not self._batch_stats:
            return G * scale
        dX = xhat * (sum_gx / n).reshape(bshape)
        np.subtract(G, dX, out=dX)
        dX -= (sum_g / n).reshape(bshape)
        dX *= scale
        return dX

    def extra_repr(self):
        s = f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
        if not self.affine:
            s += ", affine=False"
        if not self.track_running_stats:
            s += ", track_running_stats=False"
        return s


@register
class BatchNorm1d(_BatchNorm):
    __doc__ = """Batch normalization of (N, C) or (N, C, L) inputs, per feature C.
    """ + _BatchNorm.__doc__
    _ndims = (2, 3)
    _shapes = "(N, {C}) or (N, {C}, L)"
    _per_sample = "({C},) or ({C}, L)"


@register
class BatchNorm2d(_BatchNorm):
    __doc__ = """Batch normalization of (N, C, H, W) images, per channel C.
    """ + _BatchNorm.__doc__
    _ndims = (4,)
    _shapes = "(N, {C}, H, W)"
    _per_sample = "({C}, H, W)"
