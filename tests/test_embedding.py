"""Embedding: lookup, scattered gradient (repeated rows add), padding_idx, errors."""
import numpy as np
import pytest

from kubik import layers
from kubik.nets.builders.model import build_model


def test_lookup_and_scattered_gradient_by_hand():
    emb = layers.Embedding(4, 2, rng=0)
    emb.weight.data[...] = [[0, 1], [2, 3], [4, 5], [6, 7]]
    X = np.array([[1, 3, 1], [0, 1, 3]])
    Y = emb.forward(X)
    assert Y.shape == (2, 3, 2) and Y.dtype == np.float32
    np.testing.assert_array_equal(Y[0], [[2, 3], [6, 7], [2, 3]])
    G = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    assert emb.backward(G) is None               # indices have no gradient
    # row 1 is used three times: G[0,0] + G[0,2] + G[1,1] = (0,1)+(4,5)+(8,9)
    np.testing.assert_array_equal(emb.weight.grad, [[6, 7], [12, 15], [0, 0], [2 + 10, 3 + 11]])
    emb.backward(G)                              # gradients accumulate
    np.testing.assert_array_equal(emb.weight.grad[1], [24, 30])


def test_matches_add_at_on_random_indices():
    rng = np.random.default_rng(0)
    emb = layers.Embedding(50, 8, rng=1, dtype=np.float64)
    X = rng.integers(0, 50, (16, 20))
    G = rng.standard_normal((16, 20, 8))
    emb.forward(X)
    emb.backward(G)
    ref = np.zeros((50, 8))
    np.add.at(ref, X.reshape(-1), G.reshape(-1, 8))
    np.testing.assert_allclose(emb.weight.grad, ref, atol=1e-12)


def test_padding_row_is_zero_and_gets_no_gradient():
    emb = layers.Embedding(5, 3, padding_idx=-5, rng=0)      # negative counts from the end, as PyTorch
    assert emb.padding_idx == 0
    np.testing.assert_array_equal(emb.weight.data[0], 0)
    X = np.array([[0, 2, 0, 4]])
    np.testing.assert_array_equal(emb.forward(X)[0, 0], 0)
    emb.backward(np.ones((1, 4, 3), np.float32))
    np.testing.assert_array_equal(emb.weight.grad[0], 0)
    np.testing.assert_array_equal(emb.weight.grad[2], 1)


def test_errors_name_the_layer_value_and_range():
    emb = layers.Embedding(5, 3)
    with pytest.raises(ValueError, match=r"Embedding\(5, 3\).*index 5 is out of range \[0, 5\)"):
        emb.forward(np.array([[0, 5]]))
    with pytest.raises(ValueError, match=r"index -1 is out of range \[0, 5\)"):
        emb.forward(np.array([-1]))
    with pytest.raises(TypeError, match="integers"):
        emb.forward(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        layers.Embedding(5, 3, padding_idx=5)
    with pytest.raises(ValueError, match="embedding_dim"):
        layers.Embedding(5, 0)
    np.testing.assert_array_equal(emb.forward(np.array([1.0, 2.0])), emb.weight.data[[1, 2]])   # integral floats


def test_empty_batch_and_config():
    emb = layers.Embedding(5, 3)
    with pytest.raises(ValueError, match="Embedding"):       # an empty batch, as for every layer
        emb.forward(np.zeros((0, 4), np.int64))
    net, _, shape = build_model([{"Embedding": {"num_embeddings": 10, "embedding_dim": 4}},
                                 {"LSTM": {"hidden_size": 6}}, "MeanOverTime", {"Linear": {"out_features": 2}}], (7,))
    assert shape == (2,)
    assert net.forward(np.array([[1, 2, 3, 4, 5, 6, 7]])).shape == (1, 2)
