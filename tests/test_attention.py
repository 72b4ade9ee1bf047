"""MultiheadAttention, the positional encodings and TransformerEncoderLayer: the layer
contract (check_layer: float64 gradchecks of the input and every parameter, accumulation,
shapes, state_dict, astype, modes, batch of 1, input errors), hand-computed values, masks,
edge cases, dropout, configs, and negative controls."""
import math

import numpy as np
import pytest

from kubik import layers, nets
from kubik.layers.attention import scaled_dot_product
from kubik.layers.core.gradcheck import GradcheckResult, check_array
from kubik.layers.testing import check_layer


@pytest.mark.parametrize("kwargs", [{}, {"num_heads": 1}, {"causal": True}, {"dropout": 0.3}, {"bias": False}])
def test_attention_conforms(kwargs):
    kwargs = {"num_heads": 2, **kwargs}
    check_layer(layers.MultiheadAttention(4, rng=0, **kwargs), (3, 5, 4))


@pytest.mark.parametrize("kwargs", [{}, {"norm_first": True}, {"activation": "gelu"}, {"dropout": 0.2},
                                    {"causal": True, "norm_first": True, "activation": "gelu"}])
def test_transformer_layer_conforms(kwargs):
    kwargs = {"dropout": 0.0, **kwargs}
    check_layer(layers.TransformerEncoderLayer(4, 2, 6, rng=0, **kwargs), (2, 3, 4))


def test_positional_layers_conform():
    check_layer(layers.SinusoidalPositionalEncoding(5, max_len=10), (3, 4, 5))
    check_layer(layers.PositionalEmbedding(6, 5, rng=0), (3, 4, 5))


def identity_attention(E, **kw):
    """q = k = v = x and an identity output projection, biases 0."""
    m = layers.MultiheadAttention(E, 1, dtype=np.float64, **kw)
    m.in_proj_weight.data[...] = np.hstack([np.eye(E)] * 3)
    m.out_proj.weight.data[...] = np.eye(E)
    return m


def test_attention_by_hand():
    # X = [[1, 0], [0, 1]]: scores X Xᵀ/√2 = diag(1/√2); softmax row 0 = (e^.7071, 1)/(e^.7071 + 1)
    a = math.exp(1 / math.sqrt(2)) / (math.exp(1 / math.sqrt(2)) + 1)        # 0.66976
    Y = identity_attention(2).forward(np.eye(2)[None])
    np.testing.assert_allclose(Y[0], [[a, 1 - a], [1 - a, a]], rtol=1e-12)
    # causal: query 0 sees key 0 only, so its output is v_0
    Yc = identity_attention(2, causal=True).forward(np.eye(2)[None])
    np.testing.assert_allclose(Yc[0], [[1, 0], [1 - a, a]], rtol=1e-12)


def test_heads_split_the_columns():
    """Two heads of one column each attend separately: with q=k=v=x, head i's scores are
    x_ti x_si (scale 1/√1)."""
    X = np.array([[[1.0, 2.0], [3.0, -1.0]]])
    m = layers.MultiheadAttention(2, 2, dtype=np.float64)
    m.in_proj_weight.data[...] = np.hstack([np.eye(2)] * 3)
    m.out_proj.weight.data[...] = np.eye(2)
    Y = m.forward(X)
    for i in range(2):
        x = X[0, :, i]
        A = np.exp(np.outer(x, x))
        A /= A.sum(1, keepdims=True)
        np.testing.assert_allclose(Y[0, :, i], A @ x, rtol=1e-12)
    assert m.attn_weights.shape == (1, 2, 2, 2)


def test_padded_keys_do_not_matter():
    rng = np.random.default_rng(0)
    m = layers.MultiheadAttention(6, 3, rng=0, dtype=np.float64)
    Q, K = rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 6))
    mask = np.zeros((2, 5), bool)
    mask[0, 3:] = True
    Y = m.forward(Q, K, K, key_padding_mask=mask)
    K2 = K.copy()
    K2[0, 3:] = 100 * rng.standard_normal((2, 6))
    np.testing.assert_allclose(m.forward(Q, K2, K2, key_padding_mask=mask), Y, rtol=1e-12)
    assert (m.attn_weights[0, :, :, 3:] == 0).all()
    np.testing.assert_allclose(m.forward(Q[:1], K[:1, :3], K[:1, :3]), Y[:1], rtol=1e-12)


def test_causal_output_ignores_the_future():
    rng = np.random.default_rng(1)
    m = layers.MultiheadAttention(4, 2, causal=True, rng=0, dtype=np.float64)
    X = rng.standard_normal((2, 6, 4))
    Y = m.forward(X)
    X2 = X.copy()
    X2[:, 4:] = rng.standard_normal((2, 2, 4))
    np.testing.assert_allclose(m.forward(X2)[:, :4], Y[:, :4], rtol=1e-12)
    np.testing.assert_allclose(m.forward(X[:, :3]), Y[:, :3], rtol=1e-12)


def test_all_masked_keys_are_refused():
    m = layers.MultiheadAttention(4, 2, rng=0)
    X = np.zeros((2, 3, 4), np.float32)
    mask = np.zeros((2, 3), bool)
    mask[1] = True
    with pytest.raises(ValueError, match=r"MultiheadAttention.*masks every key of sample 1; a query with no key"):
        m.forward(X, key_padding_mask=mask)
    mask[1] = [True, False, False]
    m.forward(X, key_padding_mask=mask)                   # fine without causal
    with pytest.raises(ValueError, match=r"masks key 0, the only key query 0 may see with causal=True"):
        layers.MultiheadAttention(4, 2, causal=True, rng=0).forward(X, key_padding_mask=mask)
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(2, 4\), expected \(2, 3\)"):
        m.forward(X, key_padding_mask=np.zeros((2, 4), bool))
    with pytest.raises(TypeError, match="key_padding_mask must be a bool array"):
        m.forward(X, key_padding_mask=np.zeros((2, 3)))


def test_single_step_and_extreme_scores():
    m = layers.MultiheadAttention(4, 2, rng=0, dtype=np.float64)
    X = np.random.default_rng(2).standard_normal((3, 1, 4))
    # one key: every weight is 1, the output is out_proj(v)
    v = X @ m.in_proj_weight.data[:, 8:] + m.in_proj_bias.data[8:]
    np.testing.assert_allclose(m.forward(X), m.out_proj.forward(v), rtol=1e-12)
    big = layers.MultiheadAttention(4, 1, rng=0)
    Y = big.forward(np.random.default_rng(3).standard_normal((2, 5, 4)).astype(np.float32) * 1e3)  # scores ~1e6
    G = big.backward(np.ones_like(Y))
    assert np.isfinite(Y).all() and np.isfinite(G).all() and Y.dtype == np.float32


def cross_gradcheck(m, Q, K, V, mask=None):
    """Finite differences of Σ Y ⊙ R for Q, K, V and every parameter (forward(Q, K, V))."""
    m.astype(np.float64)
    R = np.random.default_rng(9).standard_normal(Q.shape)
    m.forward(Q, K, V, key_padding_mask=mask)
    m.zero_grad()
    dQ, dK, dV = m.backward(R)
    f = lambda: float(np.sum(m.forward(Q, K, V, key_padding_mask=mask) * R))
    result = GradcheckResult("MultiheadAttention cross", tol=1e-6)
    for name, x, d in [("Q", Q, dQ), ("K", K, dK), ("V", V, dV)] + [(n, p.data, p.grad.copy())
                                                                    for n, p in m.named_parameters()]:
        check_array(result, name, x, d, f, 1e-6)
    return result


@pytest.mark.parametrize("causal", [False, True])
def test_cross_attention_gradcheck(causal):
    rng = np.random.default_rng(4)
    Q, K, V = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    mask = np.array([[False] * 5, [False, False, True, False, True]])
    result = cross_gradcheck(layers.MultiheadAttention(4, 2, causal=causal, rng=0), Q, K, V, mask)
    assert result.ok, str(result)


def test_negative_control_wrong_softmax_vjp(monkeypatch):
    """Leaving out the row-sum term of the softmax's VJP makes the gradcheck fail."""
    def wrong(G, q, k, v, A, M, scale, dq, dk, dv):
        np.matmul(A.transpose(0, 1, 3, 2), G, out=dv)
        dS = np.matmul(G, v.transpose(0, 1, 3, 2)) * A * scale          # no "− rowsum(dA ⊙ A)"
        np.matmul(dS, k, out=dq)
        np.matmul(dS.transpose(0, 1, 3, 2), q, out=dk)
    monkeypatch.setattr("kubik.layers.attention.multihead.attend_backward", wrong)
    result = layers.gradcheck(layers.MultiheadAttention(4, 2, rng=0), np.random.default_rng(5).standard_normal(
        (2, 3, 4)), raise_on_fail=False)
    assert not result.ok
    monkeypatch.setattr("kubik.layers.attention.multihead.attend_backward", scaled_dot_product.attend_backward)
    assert layers.gradcheck(layers.MultiheadAttention(4, 2, rng=0), np.random.default_rng(5).standard_normal(
        (2, 3, 4)), raise_on_fail=False).ok


def test_attention_dropout_is_seeded_and_off_in_eval():
    X = np.random.default_rng(6).standard_normal((2, 5, 4)).astype(np.float32)
    a = layers.MultiheadAttention(4, 2, dropout=0.5, rng=1)
    b = layers.MultiheadAttention(4, 2, dropout=0.5, rng=1)
    np.testing.assert_array_equal(a.forward(X), b.forward(X))
    Ya = a.forward(X)
    assert not np.array_equal(Ya, a.forward(X))             # a new mask each step
    a.eval()
    np.testing.assert_array_equal(a.forward(X), a.forward(X))
    a.dropout = 0.0
    a.train()
    np.testing.assert_array_equal(a.forward(X), b.eval().forward(X))
    # the expected weight is kept: averaged over many masks, dropout leaves the output unchanged
    a.dropout = 0.5
    mean = np.mean([a.forward(X) for _ in range(400)], axis=0)
    np.testing.assert_allclose(mean, b.forward(X), atol=0.1)
    w = a.attn_weights
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-6)


def test_attention_errors_name_the_layer():
    with pytest.raises(ValueError, match="MultiheadAttention: embed_dim 6 is not divisible by num_heads 4"):
        layers.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match=r"MultiheadAttention: dropout must be a probability in \[0, 1\)"):
        layers.MultiheadAttention(4, 2, dropout=1.0)
    m = layers.MultiheadAttention(4, 2, rng=0)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=4, num_heads=2\): the input must have shape "
                                         r"\(N, T >= 1, 4\), got \(2, 3, 5\)"):
        m.forward(np.zeros((2, 3, 5)))
    with pytest.raises(TypeError, match="give keys and values both"):
        m.forward(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"K must have shape \(2, T >= 1, 4\), got \(3, 3, 4\)"):
        m.forward(np.zeros((2, 3, 4)), np.zeros((3, 3, 4)), np.zeros((3, 3, 4)))
    with pytest.raises(ValueError, match=r"K has shape \(2, 3, 4\) but V has shape \(2, 2, 4\)"):
        m.forward(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), np.zeros((2, 2, 4)))
    assert m.output_shape((7, 4), (3, 4), (3, 4)) == (7, 4)


def test_sinusoidal_table_by_hand():
    pe = layers.SinusoidalPositionalEncoding(4, max_len=8)
    Y = pe.forward(np.zeros((1, 3, 4)))
    # PE[t, 2i] = sin(t / 10000^(2i/4)), PE[t, 2i+1] = cos(...)
    np.testing.assert_allclose(Y[0, 2], [math.sin(2), math.cos(2), math.sin(2 / 100), math.cos(2 / 100)], rtol=1e-12)
    np.testing.assert_allclose(Y[0, 0], [0, 1, 0, 1])
    assert layers.SinusoidalPositionalEncoding(5).forward(np.zeros((1, 2, 5), np.float32)).dtype == np.float32
    np.testing.assert_allclose(layers.SinusoidalPositionalEncoding(5).table(2)[1, 4], math.sin(1 / 10000 ** 0.8))
    with pytest.raises(ValueError, match=r"SinusoidalPositionalEncoding\(dim=4, max_len=8\): expected input of shape "
                                         r"\(N, T, 4\) with 1 <= T <= max_len=8, got \(1, 9, 4\)"):
        pe.forward(np.zeros((1, 9, 4)))


def test_positional_embedding_gradient_by_hand():
    pe = layers.PositionalEmbedding(5, 2, rng=0, dtype=np.float64)
    X = np.zeros((3, 2, 2))
    np.testing.assert_array_equal(pe.forward(X)[1], pe.weight.data[:2])
    pe.zero_grad()
    G = np.arange(12.0).reshape(3, 2, 2)
    np.testing.assert_array_equal(pe.backward(G), G)
    np.testing.assert_array_equal(pe.weight.grad[:2], G.sum(0))
    assert (pe.weight.grad[2:] == 0).all()


def test_transformer_layer_children_and_parameters_as_pytorch():
    t = layers.TransformerEncoderLayer(8, 2, 16, rng=0)
    assert [n for n, _ in t.named_parameters()] == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
        "norm2.weight", "norm2.bias"]
    assert t.linear1.weight.shape == (8, 16) and t.self_attn.in_proj_weight.shape == (8, 24)
    with pytest.raises(ValueError, match="TransformerEncoderLayer: activation must be one of relu, gelu, got 'tanh'"):
        layers.TransformerEncoderLayer(8, 2, activation="tanh")


def test_transformer_layer_key_padding_and_causal():
    rng = np.random.default_rng(7)
    t = layers.TransformerEncoderLayer(4, 2, 8, dropout=0.0, causal=True, rng=0, dtype=np.float64)
    X = rng.standard_normal((2, 5, 4))
    Y = t.forward(X)
    X2 = X.copy()
    X2[:, 3:] = 0
    np.testing.assert_allclose(t.forward(X2)[:, :3], Y[:, :3], rtol=1e-12)
    mask = np.zeros((2, 5), bool)
    mask[:, 4] = True
    Ym = layers.TransformerEncoderLayer(4, 2, 8, dropout=0.0, rng=0, dtype=np.float64).forward(X, key_padding_mask=mask)
    np.testing.assert_allclose(layers.TransformerEncoderLayer(4, 2, 8, dropout=0.0, rng=0, dtype=np.float64)
                               .forward(X[:, :4]), Ym[:, :4], rtol=1e-12)


def test_configs_build_attention_models():
    model = [{"Embedding": {"num_embeddings": 11, "embedding_dim": 8}},
             {"SinusoidalPositionalEncoding": {"max_len": 16}},
             {"TransformerEncoderLayer": {"nhead": 2, "dim_feedforward": 16, "dropout": 0.1, "causal": True}},
             {"MultiheadAttention": {"num_heads": 4}},
             {"PositionalEmbedding": {"max_len": 16}},
             {"Linear": {"out_features": 11}}]
    net, rows, shape = nets.build.build_model(model, (10,))
    assert shape == (10, 11)
    assert net[2].d_model == 8 and net[3].embed_dim == 8 and net[4].dim == 8
    assert net.spec()[2] == {"TransformerEncoderLayer": {"d_model": 8, "nhead": 2, "dim_feedforward": 16,
                                                         "dropout": 0.1, "causal": True}}
    Y = net.forward(np.random.default_rng(8).integers(0, 11, (3, 10)))
    assert Y.shape == (3, 10, 11)
    net.backward(np.ones_like(Y))
