"""Attention and the blocks built on it, batch first (N, T, E).

    multihead             MultiheadAttention: self- and cross-attention, causal and key-padding masks
    scaled_dot_product    softmax(Q Kᵀ/√d) V over heads, and its vector-Jacobian product
    masks                 the additive −inf masks, and the check that no query is left without keys
    positional            SinusoidalPositionalEncoding, PositionalEmbedding: position added to the input
    transformer           TransformerEncoderLayer: attention and a feed-forward block, post- or pre-norm
"""
from .multihead import MultiheadAttention
from .positional import PositionalEmbedding, SinusoidalPositionalEncoding
from .transformer import TransformerEncoderLayer
