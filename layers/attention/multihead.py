"""Multi-head attention (PyTorch's nn.MultiheadAttention, batch first)."""
import math

import numpy as np

from ..core.layer import Layer
from ..core.random import get_rng
from ..core.registry import register
from ..linear import Linear
from ..runtime.scratch import recycled
from .masks import attention_bias
from .scaled_dot_product import attend, attend_backward, heads


def _positive_int(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"MultiheadAttention: {name} must be a positive int, got {v!r}")
    return int(v)


@register
class MultiheadAttention(Layer):
    """Y = concat(head_1, …, head_h) W_o + b_o,  head_i = softmax(Q_i K_iᵀ / √d + B) V_i,

    with [Q | K | V] = [X_q W_q + b_q | X_k W_k + b_k | X_v W_v + b_v], each split into h heads
    of d = E/h columns. ``forward(X)`` is self-attention (X_q = X_k = X_v = X: one GEMM with the
    whole (E, 3E) in_proj_weight); ``forward(Q, K, V)`` attends the queries Q (N, T, E) to the
    keys K and values V (N, S, E) and ``backward(G)`` then returns (dQ, dK, dV).
    B is −inf on the scores of masked keys: ``causal=True`` hides keys s > t from query t;
    ``key_padding_mask=`` (N, S) bool hides the keys marked True (a query left with no key is
    refused). Dropout with probability ``dropout`` zeroes attention weights in training
    (inverted dropout, masks from ``rng`` or the package generator, as every dropout).

    Backward: through out_proj (a Linear child), the heads' attention (see
    scaled_dot_product: the row softmax's VJP and the matrix products' transposes), then

        dW_in += Xᵀ [dQ | dK | dV],  db_in += 1ᵀ [dQ | dK | dV],  dX = [dQ | dK | dV] W_inᵀ

    Memory kept: the projections (N·T·3E) and the attention weights A (N·h·T·S).
    ``attn_weights`` holds A (N, h, T, S) after each forward (read it, do not write it).

    Parameters, PyTorch's transposed (XW orientation): ``in_proj_weight`` (E, 3E) with the
    q | k | v column blocks, ``in_proj_bias`` (3E,), ``out_proj.weight`` (E, E), ``out_proj.bias``
    (E,). Init as PyTorch: in_proj_weight Xavier-uniform over (E, 3E), biases 0, out_proj.weight
    U(−1/√E, 1/√E).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, causal=False, rng=None, dtype=np.float32):
        super().__init__()
        E = self.embed_dim = _positive_int("embed_dim", embed_dim)
        self.num_heads = _positive_int("num_heads", num_heads)
        if E % self.num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {E} is not divisible by num_heads {self.num_heads}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be a probability in [0, 1), got {dropout!r}")
        self.dropout, self.causal, self.head_dim = float(dropout), bool(causal), E // self.num_heads
        rng = get_rng(rng)
        self.rng = None if rng is get_rng() else rng       # dropout masks: the package generator unless given
        bound = math.sqrt(6.0 / (E + 3 * E))
        self.add_parameter("in_proj_weight", rng.uniform(-bound, bound, (3 * E, E)).T.astype(dtype))
        self.in_proj_bias = None
        if bias:
            self.add_parameter("in_proj_bias", np.zeros(3 * E, dtype))
        self.out_proj = self.add_child("out_proj", Linear(E, E, bias=bias, rng=rng, dtype=dtype))
        if bias:
            self.out_proj.bias.data[...] = 0
        self._causal_cache = {}
        self.attn_weights = None

    @classmethod
    def infer_args(cls, input_shape, *key_value_shapes):
        return {"embed_dim": input_shape[-1]}

    def output_shape(self, *input_shapes):
        E = self.embed_dim
        if len(input_shapes) not in (1, 3) or any(len(s) != 2 or s[-1] != E for s in input_shapes):
            raise self._shape_error(f"(T, {E}) per sample (or three: queries (T, {E}), keys and values (S, {E}))",
                                    tuple(input_shapes[0]) if len(input_shapes) == 1 else tuple(input_shapes))
        if len(input_shapes) == 3 and tuple(input_shapes[1]) != tuple(input_shapes[2]):
            raise ValueError(f"{self!r}: keys {tuple(input_shapes[1])} and values {tuple(input_shapes[2])} "
                             f"per sample must have the same shape")
        return tuple(input_shapes[0])

    def _check(self, name, X, N=None):
        E = self.embed_dim
        if getattr(X, "ndim", 0) == 3 and not X.shape[0]:
            raise ValueError(f"{type(self).__name__}: got an empty batch ({name} of shape {X.shape}, 0 samples); "
                             f"give at least one sample")
        if getattr(X, "ndim", 0) != 3 or X.shape[-1] != E or (N is not None and X.shape[0] != N) or not X.shape[1]:
            want = f"({'N' if N is None else N}, T >= 1, {E})"
            raise ValueError(f"{self!r}: {name} must have shape {want}, got {getattr(X, 'shape', type(X).__name__)}")
        dtype = self.in_proj_weight.dtype
        return X if X.dtype == dtype else X.astype(dtype)

    # -- forward ------------------------------------------------------------------------
    def forward(self, Q, K=None, V=None, key_padding_mask=None):
        if (K is None) != (V is None):
            raise TypeError(f"{self!r}: give keys and values both (forward(Q, K, V), cross-attention) or "
                            f"neither (forward(X), self-attention)")
        self_attention = K is None
        Q = self._check("the input" if self_attention else "Q", Q)
        N, T, E = Q.shape
        W = self.in_proj_weight.data
        b = None if self.in_proj_bias is None else self.in_proj_bias.data
        if self_attention:
            P = recycled(self, "P", W.dtype, shape=(N, T, 3 * E))
            np.matmul(Q.reshape(N * T, E), W, out=P.reshape(N * T, 3 * E))
            if b is not None:
                P += b
            proj, inputs = (P[..., :E], P[..., E:2 * E], P[..., 2 * E:]), (Q,)
        else:
            K, V = self._check("K", K, N), self._check("V", V, N)
            if K.shape != V.shape:
                raise ValueError(f"{self!r}: K has shape {K.shape} but V has shape {V.shape}; they must match")
            proj = tuple(X @ W[:, i * E:(i + 1) * E] + (0 if b is None else b[i * E:(i + 1) * E])
                         for i, X in enumerate((Q, K, V)))
            inputs = (Q, K, V)
        S = proj[1].shape[1]
        q, k, v = (heads(p, self.num_heads) for p in proj)
        bias = attention_bias(self, N, T, S, W.dtype, self.causal, key_padding_mask, self._causal_cache)
        scale = 1.0 / math.sqrt(self.head_dim)
        A = attend(q, k, bias, scale)
        M = None
        if self.training and self.dropout:
            M = get_rng(self.rng).random(A.shape, dtype=A.dtype)
            M = (M >= self.dropout).astype(A.dtype)
            M *= A.dtype.type(1.0 / (1.0 - self.dropout))
        O = recycled(self, "O", W.dtype, shape=(N, T, E))
        np.matmul(A if M is None else A * M, v, out=heads(O, self.num_heads))
        self._cache = (inputs, proj, A, M, scale)
        self.attn_weights = A
        return self.out_proj.forward(O)

    # -- backward -----------------------------------------------------------------------
    def backward(self, G):
        inputs, proj, A, M, scale = self._cached("_cache")
        N, T, E = inputs[0].shape
        if getattr(G, "shape", None) != (N, T, E):
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {(N, T, E)}")
        dO = self.out_proj.backward(G)
        h = self.num_heads
        q, k, v = (heads(p, h) for p in proj)
        if len(inputs) == 1:
            dP = np.empty((N, T, 3 * E), dO.dtype)
            dproj = (dP[..., :E], dP[..., E:2 * E], dP[..., 2 * E:])
        else:
            dproj = tuple(np.empty(p.shape, dO.dtype) for p in proj)
        attend_backward(heads(dO, h), q, k, v, A, M, scale, *(heads(d, h) for d in dproj))
        W = self.in_proj_weight
        if len(inputs) == 1:
            X2, dP2 = inputs[0].reshape(N * T, E), dP.reshape(N * T, 3 * E)
            W.accumulate_matmul(X2.T, dP2)
            if self.in_proj_bias is not None:
                self.in_proj_bias.accumulate_matmul(np.ones(N * T, dP2.dtype), dP2)
            return dP2.reshape(N, T, 3 * E) @ W.data.T if self.propagate_down else None
        grads, dW = [], W.grad
        db = None if self.in_proj_bias is None else self.in_proj_bias.grad
        for i, (X, d) in enumerate(zip(inputs, dproj)):
            X2, d2 = X.reshape(-1, E), d.reshape(-1, E)
            dW[:, i * E:(i + 1) * E] += X2.T @ d2
            if db is not None:
                db[i * E:(i + 1) * E] += np.ones(len(d2), d2.dtype) @ d2
            grads.append(d @ W.data[:, i * E:(i + 1) * E].T)
        return tuple(grads)

    def _astype_hook(self, dtype):
        self._cache, self.attn_weights = None, None
        self._causal_cache.clear()

    def extra_repr(self):
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.in_proj_bias is None:
            s += ", bias=False"
        return s + (", causal=True" if self.causal else "")
