"""One Transformer encoder layer (PyTorch's nn.TransformerEncoderLayer, batch first)."""
import numpy as np

from ..activations import GELU, ReLU
from ..core.layer import Layer
from ..core.random import get_rng
from ..core.registry import register
from ..dropout import Dropout
from ..linear import Linear
from ..normalization import LayerNorm
from .multihead import MultiheadAttention

ACTIVATIONS = {"relu": ReLU, "gelu": GELU}


@register
class TransformerEncoderLayer(Layer):
    """Self-attention and a position-wise feed-forward block, each with a residual connection
    and a LayerNorm — the computation of torch.nn.TransformerEncoderLayer (batch_first=True):

        sa(x) = dropout1(self_attn(x))                       ff(x) = dropout2(linear2(dropout(act(linear1(x)))))
        norm_first=False:  x = norm1(x + sa(x));  y = norm2(x + ff(x))       (post-norm, the original)
        norm_first=True:   x = x + sa(norm1(x));  y = x + ff(norm2(x))       (pre-norm)

    X, Y: (N, T, d_model). ``activation``: "relu" or "gelu" (exact). ``causal=True`` passes the
    causal mask to self_attn (query t sees steps <= t: a language model); ``forward(X,
    key_padding_mask=...)`` hides padded steps (N, T) bool, True = padding.
    Backward runs the children's VJPs in reverse; each residual adds its two gradients:
    post-norm dx = n1ᵀ(d + saᵀ d) with d = n1-input gradient, and likewise around ff.

    Children as PyTorch's, so a PyTorch state loads with its Linear weights transposed:
    ``self_attn`` (MultiheadAttention), ``linear1`` (d_model, dim_feedforward), ``dropout``,
    ``linear2`` (dim_feedforward, d_model), ``norm1``, ``norm2``, ``dropout1``, ``dropout2``,
    and ``activation``.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 norm_first=False, bias=True, causal=False, rng=None, dtype=np.float32):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"TransformerEncoderLayer: activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if isinstance(dim_feedforward, bool) or not isinstance(dim_feedforward, (int, np.integer)) \
                or dim_feedforward < 1:
            raise ValueError(f"TransformerEncoderLayer: dim_feedforward must be a positive int, got {dim_feedforward!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"TransformerEncoderLayer: dropout must be a probability in [0, 1), got {dropout!r}")
        rng = get_rng(rng)
        drop_rng = None if rng is get_rng() else rng
        self.d_model, self.nhead, self.dim_feedforward = int(d_model), int(nhead), int(dim_feedforward)
        self.dropout_p, self.activation_name, self.norm_first = float(dropout), activation, bool(norm_first)
        self.layer_norm_eps, self.causal = float(layer_norm_eps), bool(causal)
        add = self.add_child
        self.self_attn = add("self_attn", MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, causal=causal,
                                                             rng=rng, dtype=dtype))
        self.linear1 = add("linear1", Linear(d_model, dim_feedforward, bias=bias, rng=rng, dtype=dtype))
        self.dropout = add("dropout", Dropout(dropout, rng=drop_rng))
        self.linear2 = add("linear2", Linear(dim_feedforward, d_model, bias=bias, rng=rng, dtype=dtype))
        self.norm1 = add("norm1", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.norm2 = add("norm2", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.dropout1 = add("dropout1", Dropout(dropout, rng=drop_rng))
        self.dropout2 = add("dropout2", Dropout(dropout, rng=drop_rng))
        self.activation = add("activation", ACTIVATIONS[activation]())

    @classmethod
    def infer_args(cls, input_shape):
        return {"d_model": input_shape[-1]}

    def output_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] != self.d_model or not input_shape[0]:
            raise self._shape_error(f"(T, {self.d_model}) per sample", tuple(input_shape))
        return tuple(input_shape)

    def _sa(self, X, key_padding_mask):
        return self.dropout1.forward(self.self_attn.forward(X, key_padding_mask=key_padding_mask))

    def _ff(self, X):
        H = self.dropout.forward(self.activation.forward(self.linear1.forward(X)))
        return self.dropout2.forward(self.linear2.forward(H))

    def _ff_backward(self, G):
        G = self.linear2.backward(self.dropout2.backward(G))
        return self.linear1.backward(self.activation.backward(self.dropout.backward(G)))

    def _sa_backward(self, G):
        return self.self_attn.backward(self.dropout1.backward(G))

    def forward(self, X, key_padding_mask=None):
        if getattr(X, "ndim", 0) != 3 or X.shape[-1] != self.d_model or not X.shape[1]:
            raise self._shape_error(f"(N, T, {self.d_model})", X)
        if not X.shape[0]:
            raise ValueError(f"{type(self).__name__}: got an empty batch (input of shape {X.shape}, 0 samples); "
                             f"give at least one sample")
        self._shape = X.shape
        if self.norm_first:
            X = X + self._sa(self.norm1.forward(X), key_padding_mask)
            return X + self._ff(self.norm2.forward(X))
        X = self.norm1.forward(X + self._sa(X, key_padding_mask))
        return self.norm2.forward(X + self._ff(X))

    def backward(self, G):
        shape = self._cached("_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        if self.norm_first:
            G = G + self.norm2.backward(self._ff_backward(G))
            return G + self.norm1.backward(self._sa_backward(G))
        G = self.norm2.backward(G)
        G = self.norm1.backward(G + self._ff_backward(G))
        return G + self._sa_backward(G)

    def extra_repr(self):
        s = f"d_model={self.d_model}, nhead={self.nhead}, dim_feedforward={self.dim_feedforward}, " \
            f"dropout={self.dropout_p}, activation={self.activation_name!r}"
        s += ", norm_first=True" if self.norm_first else ""
        return s + (", causal=True" if self.causal else "")
