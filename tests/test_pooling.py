"""Pooling: windows by hand, tie routing as PyTorch, a loop reference, errors."""
import numpy as np
import pytest

from kubik import layers
from kubik.layers import AdaptiveAvgPool2d, AvgPool2d, GlobalAvgPool2d, MaxPool2d

pytestmark = pytest.mark.usefixtures("backend")  # every test on the numpy and the numba path


def reference_maxpool(X, G, k, s, p, d=(1, 1)):
    """Loops: each window's first maximum in row-major order gets G (padding is −inf)."""
    N, C, H, W = X.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf)
    Ho = (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    Wo = (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    Y, dXp = np.zeros((N, C, Ho, Wo)), np.zeros_like(Xp)
    for n in range(N):
        for c in range(C):
            for y in range(Ho):
                for x in range(Wo):
                    best = None
                    for i in range(k[0]):
                        for j in range(k[1]):
                            r, q = y * s[0] + i * d[0], x * s[1] + j * d[1]
                            if best is None or Xp[n, c, r, q] > Xp[n, c, best[0], best[1]]:
                                best = (r, q)
                    Y[n, c, y, x] = Xp[n, c, best[0], best[1]]
                    dXp[n, c, best[0], best[1]] += G[n, c, y, x]
    return Y, dXp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


def test_maxpool_window_by_hand_with_ties():
    X = np.array([[[[1, 3, 0, 0],
                    [3, 2, 0, 0],      # window 1: max 3 at (0,1) and (1,0): the first, (0,1), wins
                    [5, 1, 7, 7],
                    [2, 5, 7, 7]]]], np.float32)  # window 3: max 5 at (2,0) first; window 4: all equal -> (2,2)
    pool = MaxPool2d(2)
    Y = pool.forward(X)
    np.testing.assert_array_equal(Y, [[[[3, 0], [5, 7]]]])
    dX = pool.backward(np.array([[[[10, 20], [30, 40]]]], np.float32))
    np.testing.assert_array_equal(dX, [[[[0, 10, 20, 0], [0, 0, 0, 0], [30, 0, 40, 0], [0, 0, 0, 0]]]])


def test_overlapping_maxpool_by_hand():
    X = np.array([[[[1, 5, 2], [4, 0, 3], [6, 2, 1]]]], np.float64)
    pool = MaxPool2d(2, stride=1)
    np.testing.assert_array_equal(pool.forward(X), [[[[5, 5], [6, 3]]]])
    # the 5 is the max of two windows: it collects both gradients
    np.testing.assert_array_equal(pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]])),
                                  [[[[0, 3, 0], [0, 0, 4], [3, 0, 0]]]])


@pytest.mark.parametrize("k,s,p,d,shape", [
    ((2, 2), (2, 2), (0, 0), (1, 1), (2, 3, 6, 7)),
    ((2, 2), (2, 2), (0, 0), (1, 1), (2, 2, 5, 5)),
    ((2, 2), (2, 2), (0, 0), (1, 1), (2, 3, 6, 34)),   # rows of 8+ windows: vector code on numba
    ((2, 2), (2, 2), (0, 0), (1, 1), (1, 2, 5, 19)),   # ... with an overlapping last block, odd sizes
    ((2, 2), (2, 2), (0, 0), (1, 1), (2, 1, 2, 16)),
    ((3, 3), (2, 2), (1, 1), (1, 1), (2, 2, 7, 6)),
    ((3, 2), (1, 2), (1, 0), (1, 1), (1, 2, 5, 6)),
    ((2, 2), (1, 1), (1, 1), (2, 2), (1, 2, 5, 5)),
])
def test_maxpool_matches_loop_reference_with_many_ties(k, s, p, d, shape):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, shape).astype(np.float64)     # small integers: ties everywhere
    pool = MaxPool2d(k, stride=s, padding=p, dilation=d)
    Y = pool.forward(X)
    G = rng.standard_normal(Y.shape)
    Yr, dXr = reference_maxpool(X, G, k, s, p, d)
    np.testing.assert_array_equal(Y, Yr)
    np.testing.assert_allclose(pool.backward(G), dXr, atol=1e-12)


def test_maxpool_of_negative_values_and_channel_major_input():
    X = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(MaxPool2d(2).forward(X), [[[[-1, -3], [-9, -11]]]])
    Xc = np.random.default_rng(0).standard_normal((3, 2, 6, 6)).transpose(1, 0, 2, 3)  # non-contiguous
    pool = MaxPool2d(2)
    Y = pool.forward(Xc)
    dX = pool.backward(np.ones_like(Y))
    np.testing.assert_array_equal(Y, MaxPool2d(2).forward(np.ascontiguousarray(Xc)))
    assert dX.shape == Xc.shape and dX.sum() == Y.size


def test_avgpool_by_hand_with_padding():
    X = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    inc = AvgPool2d(3, stride=2, padding=1)
    exc = AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
    # the top-left window covers 1, 2, 4, 5 and five padded zeros
    np.testing.assert_allclose(inc.forward(X), [[[[12 / 9, 16 / 9], [24 / 9, 28 / 9]]]])
    np.testing.assert_allclose(exc.forward(X), [[[[3, 4], [6, 7]]]])
    dX = exc.backward(np.ones((1, 1, 2, 2)))
    # the centre pixel lies in all four windows, each of 4 elements
    np.testing.assert_allclose(dX, [[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]])
    np.testing.assert_allclose(AvgPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4)), [[[[2.5, 4.5], [10.5, 12.5]]]])


def test_global_and_adaptive_average_by_hand():
    X = np.arange(24.0).reshape(1, 2, 3, 4)
    g = GlobalAvgPool2d()
    np.testing.assert_allclose(g.forward(X), [[5.5, 17.5]])
    np.testing.assert_allclose(g.backward(np.array([[12.0, 24.0]])), np.concatenate(
        [np.ones((1, 1, 3, 4)), 2 * np.ones((1, 1, 3, 4))], axis=1))
    assert GlobalAvgPool2d(keepdim=True).forward(X).shape == (1, 2, 1, 1)
    a = AdaptiveAvgPool2d(1)
    np.testing.assert_allclose(a.forward(X), g.forward(X).reshape(1, 2, 1, 1))
    # PyTorch's bins for 7 -> 3: [0, 3), [2, 5), [4, 7)
    row = np.arange(7.0).reshape(1, 1, 1, 7)
    np.testing.assert_allclose(AdaptiveAvgPool2d((1, 3)).forward(row), [[[[1, 3, 5]]]])
    assert AdaptiveAvgPool2d((None, 2)).output_shape((3, 5, 6)) == (3, 5, 2)


def test_output_shapes():
    assert MaxPool2d(2).output_shape((8, 28, 28)) == (8, 14, 14)
    assert MaxPool2d(2).output_shape((8, 7, 5)) == (8, 3, 2)
    assert MaxPool2d(3, stride=2, padding=1).output_shape((4, 32, 32)) == (4, 16, 16)
    assert AvgPool2d(3, stride=1, padding=1).output_shape((2, 5, 6)) == (2, 5, 6)
    assert GlobalAvgPool2d().output_shape((16, 4, 4)) == (16,)


def test_float32_stays_float32_and_batch_of_one():
    X = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)
    for layer in (MaxPool2d(2), MaxPool2d(3, stride=1, padding=1), AvgPool2d(2), AvgPool2d(3, padding=1,
                  count_include_pad=False), GlobalAvgPool2d(), AdaptiveAvgPool2d((2, 3))):
        Y = layer.forward(X)
        dX = layer.backward(np.ones_like(Y))
        assert Y.dtype == np.float32 and dX.dtype == np.float32 and dX.shape == X.shape, repr(layer)


def test_errors():
    for layer in (MaxPool2d(2), AvgPool2d(2), GlobalAvgPool2d(), AdaptiveAvgPool2d(2)):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.zeros((1, 1, 1, 1), np.float32))
        with pytest.raises(ValueError, match=rf"{type(layer).__name__}.*expected input of shape \(N, C, H, W\), got \(2, 3\)"):
            layer.forward(np.zeros((2, 3), np.float32))
        with pytest.raises(ValueError, match=rf"{type(layer).__name__}.*\(C, H, W\) per sample, got \(4,\)"):
            layer.output_shape((4,))
    with pytest.raises(ValueError, match=r"MaxPool2d.*1x1 is smaller than the window"):
        MaxPool2d(2).forward(np.zeros((1, 1, 1, 1)))
    with pytest.raises(ValueError, match="padding"):
        MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="kernel_size"):
        AvgPool2d(0)
    with pytest.raises(ValueError, match="output_size"):
        AdaptiveAvgPool2d(0)
    pool = MaxPool2d(2)
    pool.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"grad_Y has shape \(1, 1, 4, 4\), expected \(1, 1, 2, 2\)"):
        pool.backward(np.zeros((1, 1, 4, 4)))
    assert layers.LAYERS.get("MaxPool2d") is MaxPool2d
    assert repr(MaxPool2d(3, stride=2, padding=1)) == "MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
