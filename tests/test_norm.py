"""BatchNorm1d/2d and LayerNorm: statistics by hand, running stats as PyTorch, modes, state, errors."""
import numpy as np
import pytest

from kubik.layers import BatchNorm1d, BatchNorm2d, LayerNorm


def test_batchnorm1d_statistics_by_hand():
    bn = BatchNorm1d(2, eps=0.0 + 1e-5, dtype=np.float64)
    X = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 2.0], [4.0, 2.0]])
    Y = bn.forward(X)
    # column 0: mean 2.5, biased variance 1.25; column 1 is constant -> 0
    np.testing.assert_allclose(Y[:, 0], (X[:, 0] - 2.5) / np.sqrt(1.25 + 1e-5))
    np.testing.assert_allclose(Y[:, 1], 0)
    np.testing.assert_allclose(bn.running_mean, [0.1 * 2.5, 0.1 * 2.0])
    # running variance uses the unbiased variance 5/3 (and 0 for the constant column)
    np.testing.assert_allclose(bn.running_var, [0.9 + 0.1 * 5 / 3, 0.9])
    assert int(bn.num_batches_tracked) == 1
    # backward of G = X (affine: γ = 1) by the formula γ/s (G − mean G − x̂ mean(G x̂))
    dX = bn.backward(X)
    s = np.sqrt(1.25 + 1e-5)
    xhat = (X[:, 0] - 2.5) / s
    np.testing.assert_allclose(dX[:, 0], (X[:, 0] - 2.5 - xhat * np.mean(X[:, 0] * xhat)) / s)
    np.testing.assert_allclose(bn.weight.grad, [np.sum(X[:, 0] * xhat), 0], atol=1e-12)
    np.testing.assert_allclose(bn.bias.grad, [10, 8])


def test_batchnorm2d_statistics_over_batch_and_pixels():
    bn = BatchNorm2d(2, momentum=0.5, dtype=np.float64)
    bn.weight.data[...] = [2.0, 1.0]
    bn.bias.data[...] = [0.0, 1.0]
    X = np.zeros((2, 2, 1, 2))
    X[:, 0] = [[[0, 2]], [[4, 6]]]   # channel 0: values 0, 2, 4, 6: mean 3, variance 5
    X[:, 1] = 7.0
    Y = bn.forward(X)
    np.testing.assert_allclose(Y[:, 0], 2 * (X[:, 0] - 3) / np.sqrt(5 + 1e-5))
    np.testing.assert_allclose(Y[:, 1], 1.0)
    np.testing.assert_allclose(bn.running_mean, [1.5, 3.5])
    np.testing.assert_allclose(bn.running_var, [0.5 + 0.5 * 20 / 3, 0.5])


def test_eval_uses_running_stats_and_accepts_batch_of_one():
    bn = BatchNorm1d(3, dtype=np.float64)
    bn.running_mean[...] = [1, 2, 3]
    bn.running_var[...] = [4, 9, 16]
    bn.eval()
    X = np.array([[3.0, 2.0, -1.0]])
    Y = bn.forward(X)
    np.testing.assert_allclose(Y, [[2 / np.sqrt(4 + 1e-5), 0, -4 / np.sqrt(16 + 1e-5)]])
    np.testing.assert_allclose(bn.backward(np.ones((1, 3))), [[1 / np.sqrt(4 + 1e-5), 1 / np.sqrt(9 + 1e-5),
                                                              1 / np.sqrt(16 + 1e-5)]])
    assert int(bn.num_batches_tracked) == 0 and bn.running_mean[0] == 1   # eval never updates


def test_training_with_one_value_per_channel_is_an_error():
    with pytest.raises(ValueError, match=r"BatchNorm1d.*more than 1 value per channel.*\(1, 4\)"):
        BatchNorm1d(4).forward(np.ones((1, 4), np.float32))
    BatchNorm1d(4).forward(np.ones((1, 4, 3), np.float32))    # (N, C, L): 3 values per channel
    BatchNorm2d(4).forward(np.ones((1, 4, 2, 2), np.float32))


def test_cumulative_momentum_and_no_running_stats():
    bn = BatchNorm1d(1, momentum=None, dtype=np.float64)
    bn.forward(np.array([[0.0], [2.0]]))
    bn.forward(np.array([[4.0], [8.0]]))
    np.testing.assert_allclose(bn.running_mean, [(1 + 6) / 2])
    np.testing.assert_allclose(bn.running_var, [(2 + 8) / 2])
    free = BatchNorm2d(2, track_running_stats=False)
    assert "running_mean" not in free.state_dict()
    X = np.random.default_rng(0).standard_normal((3, 2, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(free.eval().forward(X), free.train().forward(X))  # batch stats in both modes


def test_state_dict_buffers_and_dtypes():
    bn = BatchNorm2d(3)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert set(bn.state_dict()) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    X = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    Y = bn.forward(X)
    assert Y.dtype == np.float32 and bn.running_var.dtype == np.float32
    assert bn.backward(np.ones_like(Y)).dtype == np.float32 and bn.weight.grad.dtype == np.float32
    other = BatchNorm2d(3)
    other.load_state_dict(bn.state_dict())
    np.testing.assert_array_equal(other.running_mean, bn.running_mean)
    bn.astype(np.float64)
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    assert BatchNorm1d.infer_args((16,)) == {"num_features": 16}
    assert BatchNorm2d.infer_args((8, 5, 5)) == {"num_features": 8}


def test_batchnorm_errors():
    bn = BatchNorm2d(3)
    with pytest.raises(RuntimeError, match="before forward"):
        bn.backward(np.zeros((2, 3, 1, 1), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*expected input of shape \(N, 3, H, W\), got \(2, 4, 1, 1\)"):
        bn.forward(np.zeros((2, 4, 1, 1), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(N, 3\) or \(N, 3, L\), got \(2, 3, 1, 1\)"):
        BatchNorm1d(3).forward(np.zeros((2, 3, 1, 1), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm1d.*\(3,\) or \(3, L\) per sample, got \(4,\)"):
        BatchNorm1d(3).output_shape((4,))
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm1d(0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(3, momentum=2)


def test_layernorm_by_hand():
    ln = LayerNorm(4, dtype=np.float64)
    ln.weight.data[...] = [1, 2, 1, 1]
    ln.bias.data[...] = [0, 0, 0, 1]
    X = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])
    Y = ln.forward(X)
    s = np.sqrt(1.25 + 1e-5)   # row 0: mean 2.5, variance 1.25
    np.testing.assert_allclose(Y[0], [-1.5 / s, 2 * -0.5 / s, 0.5 / s, 1.5 / s + 1])
    np.testing.assert_allclose(Y[1], [0, 0, 0, 1])   # a constant row normalizes to 0
    dX = ln.backward(np.ones_like(X))
    np.testing.assert_allclose(ln.bias.grad, [2, 2, 2, 2])
    np.testing.assert_allclose(ln.weight.grad, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s])
    assert dX.shape == X.shape and np.isfinite(dX).all()


def test_layernorm_trailing_axes_same_in_both_modes():
    ln = LayerNorm((3, 4))
    X = np.random.default_rng(0).standard_normal((2, 5, 3, 4)).astype(np.float32)
    Y = ln.forward(X)
    assert Y.dtype == np.float32 and ln.weight.shape == (3, 4)
    np.testing.assert_allclose(Y.mean(axis=(2, 3)), 0, atol=1e-6)
    np.testing.assert_allclose(ln.eval().forward(X), Y)
    assert LayerNorm.infer_args((7, 10)) == {"normalized_shape": (10,)}
    assert LayerNorm(10).output_shape((7, 10)) == (7, 10)


def test_layernorm_errors():
    ln = LayerNorm((3, 4))
    with pytest.raises(RuntimeError, match="before forward"):
        ln.backward(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"LayerNorm.*expected input of shape \(N, \.\.\., 3, 4\), got \(2, 4, 3\)"):
        ln.forward(np.zeros((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"LayerNorm.*per sample, got \(4,\)"):
        ln.output_shape((4,))
    with pytest.raises(ValueError, match="normalized_shape"):
        LayerNorm(0)
    assert LayerNorm(4, elementwise_affine=False).parameters() == []
