"""The additive masks of attention: −inf on the scores of keys a query must not see
(later steps with ``causal``, padded keys with ``key_padding_mask``), 0 elsewhere; and
the check that every query keeps at least one key (a row of −inf has no softmax)."""
import numpy as np


def causal_bias(T, S, dtype):
    """(T, S): −inf where key s comes after query t (s > t), else 0."""
    bias = np.zeros((T, S), dtype)
    bias[np.triu_indices(T, 1, S)] = -np.inf
    return bias


def padding_mask(owner, mask, N, S):
    """``key_padding_mask`` as an (N, S) bool array (True = ignore that key); errors name ``owner``."""
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"{owner!r}: key_padding_mask must be a bool array (True = ignore the key), "
                        f"got dtype {m.dtype}")
    if m.shape != (N, S):
        raise ValueError(f"{owner!r}: key_padding_mask has shape {m.shape}, expected ({N}, {S}) (batch, keys)")
    return m


def attention_bias(owner, N, T, S, dtype, causal, key_padding_mask, cache):
    """The additive bias broadcastable to (N, h, T, S), or None; ValueError if a query would
    see no key at all. ``cache``: a dict keeping the causal mask between calls."""
    bias, dtype = None, np.dtype(dtype)
    if causal:
        key = (T, S, dtype)
        bias = cache.get(key)
        if bias is None:
            cache.clear()
            bias = cache[key] = causal_bias(T, S, dtype)
    if key_padding_mask is None:
        return bias
    pad = padding_mask(owner, key_padding_mask, N, S)
    blind = pad.all(axis=1) | (pad[:, 0] if causal else False)
    if blind.any():
        n = int(np.argmax(blind))
        what = "every key" if pad[n].all() else "key 0, the only key query 0 may see with causal=True,"
        raise ValueError(f"{owner!r}: key_padding_mask masks {what} of sample {n}; a query with no key to "
                         f"attend to has no softmax (leave at least one key unmasked)")
    padded = np.where(pad, dtype.type(-np.inf), dtype.type(0))[:, None, None, :]     # (N, 1, 1, S)
    return padded if bias is None else padded + bias
