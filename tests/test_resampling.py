"""Upsample and ZeroPad2d: values by hand, PyTorch's index and weight rules,
shapes, edge cases, errors and a wrong backward as negative control."""
import numpy as np
import pytest

from kubik import layers
from kubik.layers import Upsample, ZeroPad2d
from kubik.layers.testing import check_layer


def test_nearest_by_hand():
    X = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    up = Upsample(scale_factor=2)
    np.testing.assert_array_equal(up.forward(X)[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    # backward: every source pixel collects the gradients of the 2x2 outputs it was copied to
    G = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(up.backward(G)[0, 0], [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]])
    # a 1-d signal to 5 samples from 3: i(y) = floor(y · 3/5) = 0, 0, 1, 1, 2
    np.testing.assert_array_equal(Upsample(size=5).forward(np.array([[[1.0, 2.0, 3.0]]]))[0, 0], [1, 1, 2, 2, 3])


def test_bilinear_by_hand():
    X = np.array([[[[0.0, 4.0]]]])               # one row: only the width interpolates
    # align_corners=False, scale 2: sources (y + ½)/2 − ½ = −¼ (clamped to 0), ¼, ¾, 5/4 (clamped to the last)
    np.testing.assert_allclose(Upsample(scale_factor=(1, 2), mode="bilinear").forward(X)[0, 0, 0], [0, 1, 3, 4])
    # align_corners=True: the corners stay, 4 outputs spread evenly over [0, 1]
    np.testing.assert_allclose(Upsample(size=(1, 4), mode="bilinear", align_corners=True).forward(X)[0, 0, 0],
                               [0, 4 / 3, 8 / 3, 4])
    up = Upsample(size=(1, 4), mode="bilinear", align_corners=True)
    up.forward(X)
    np.testing.assert_allclose(up.backward(np.ones((1, 1, 1, 4)))[0, 0, 0], [1 + 2 / 3 + 1 / 3, 1 / 3 + 2 / 3 + 1])
    lin = Upsample(scale_factor=2, mode="linear")
    np.testing.assert_allclose(lin.forward(np.array([[[0.0, 4.0]]]))[0, 0], [0, 1, 3, 4])


def test_shapes_and_scale_rules():
    assert Upsample(scale_factor=2).output_shape((3, 4, 5)) == (3, 8, 10)
    assert Upsample(scale_factor=(1.5, 0.5)).output_shape((3, 5, 5)) == (3, 7, 2)      # ⌊in · factor⌋
    assert Upsample(size=(6, 7), mode="bilinear").output_shape((2, 3, 3)) == (2, 6, 7)
    assert Upsample(size=9).output_shape((2, 4)) == (2, 9)
    assert Upsample(scale_factor=3, mode="linear").output_shape((2, 4)) == (2, 12)
    # downsampling by a fraction takes PyTorch's floor(dst / factor) sources (float32 arithmetic)
    X = np.arange(6.0).reshape(1, 1, 6)
    np.testing.assert_array_equal(Upsample(scale_factor=1 / 3).forward(X)[0, 0], [0, 3])


def test_edge_cases():
    X = np.random.default_rng(0).standard_normal((1, 2, 1, 1)).astype(np.float32)
    Y = Upsample(size=(3, 2), mode="bilinear", align_corners=True).forward(X)   # one pixel: copied everywhere
    assert Y.dtype == np.float32
    np.testing.assert_allclose(Y, np.broadcast_to(X, (1, 2, 3, 2)))
    up = Upsample(scale_factor=2, mode="bilinear")
    Z = up.forward(np.zeros((1, 1, 2, 2)))
    assert np.all(Z == 0) and up.backward(np.ones_like(Z)).sum() == pytest.approx(Z.size)   # weights sum to 1
    big = np.full((1, 1, 2, 2), 1e30)
    np.testing.assert_allclose(Upsample(scale_factor=3, mode="bilinear").forward(big), 1e30)


@pytest.mark.parametrize("kwargs,match", [
    ({}, "exactly one of size and scale_factor"), (dict(size=2, scale_factor=2), "exactly one"),
    (dict(scale_factor=2, mode="cubic"), "mode must be one of"), (dict(size=0), "size must be a positive"),
    (dict(scale_factor=-1), "scale_factor must be"), (dict(scale_factor=2, align_corners=True), "align_corners"),
    (dict(size=(2, 2, 2)), "size must be"), (dict(scale_factor=2, mode="bilinear", align_corners=1), "align_corners")])
def test_upsample_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Upsample(**kwargs)


def test_upsample_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match=r"Upsample.*\(N, C, H, W\) for mode 'bilinear'.*got \(2, 3, 4\)"):
        Upsample(scale_factor=2, mode="bilinear").forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Upsample.*mode 'linear'"):
        Upsample(scale_factor=2, mode="linear").output_shape((3, 4, 4))
    with pytest.raises(ValueError, match=r"size has 2 values for an input with 1 spatial axes"):
        Upsample(size=(3, 4)).forward(np.zeros((1, 2, 5)))
    with pytest.raises(ValueError, match="makes an input of size"):
        Upsample(scale_factor=0.1).forward(np.zeros((1, 1, 4, 4)))
    up = Upsample(scale_factor=2)
    up.forward(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"grad_Y has shape \(1, 1, 2, 2\), expected \(1, 1, 4, 4\)"):
        up.backward(np.zeros((1, 1, 2, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        Upsample(scale_factor=2).backward(np.zeros((1, 1, 4, 4)))


def test_zero_pad_by_hand_and_crop():
    X = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    pad = ZeroPad2d((1, 0, 0, 1))                     # left, right, top, bottom (PyTorch's order)
    np.testing.assert_array_equal(pad.forward(X)[0, 0], [[0, 1, 2], [0, 3, 4], [0, 0, 0]])
    np.testing.assert_array_equal(pad.backward(np.arange(9.0).reshape(1, 1, 3, 3))[0, 0], [[1, 2], [4, 5]])
    crop = ZeroPad2d((-1, 1, 0, 0))                   # negative: that side is cut off
    np.testing.assert_array_equal(crop.forward(X)[0, 0], [[2, 0], [4, 0]])
    np.testing.assert_array_equal(crop.backward(np.ones((1, 1, 2, 2)))[0, 0], [[0, 1], [0, 1]])
    assert ZeroPad2d(2).output_shape((3, 4, 5)) == (3, 8, 9)
    assert ZeroPad2d(1).forward(np.ones((2, 4, 4), np.float32)).dtype == np.float32   # (N, H, W) works too


def test_zero_pad_errors():
    with pytest.raises(ValueError, match=r"padding must be an int or a list of 4"):
        ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match=r"ZeroPad2d.*crops an input of size 2x2 to 0x2"):
        ZeroPad2d((0, 0, -1, -1)).forward(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"ZeroPad2d.*expected input of shape"):
        ZeroPad2d(1).forward(np.zeros((3, 4)))


class WrongUpsample(Upsample):
    """Negative control: backward copies G's top-left corner instead of summing the copies."""

    def backward(self, G):
        super().backward(G)
        return np.ascontiguousarray(G[..., ::2, ::2])


class WrongZeroPad2d(ZeroPad2d):
    """Negative control: backward takes G's top-left corner instead of the window X went to."""

    def backward(self, G):
        super().backward(G)
        return np.ascontiguousarray(G[..., :self._shape[-2], :self._shape[-1]])


def test_negative_controls():
    X = np.random.default_rng(0).standard_normal((2, 2, 3, 3))
    assert layers.gradcheck(Upsample(scale_factor=2), X).ok
    with pytest.raises(layers.GradcheckError, match="input"):
        layers.gradcheck(WrongUpsample(scale_factor=2), X)
    assert layers.gradcheck(ZeroPad2d((1, 0, 2, 0)), X).ok
    with pytest.raises(layers.GradcheckError, match="input"):
        layers.gradcheck(WrongZeroPad2d((1, 0, 2, 0)), X)


@pytest.mark.parametrize("layer,shape", [(Upsample(scale_factor=2, mode="bilinear"), (2, 2, 3, 3)),
                                         (Upsample(size=7, mode="linear", align_corners=True), (2, 3, 4)),
                                         (Upsample(scale_factor=2), (2, 2, 3)), (ZeroPad2d((1, 2, -1, 0)), (2, 2, 3, 4))])
def test_layer_contract(layer, shape):
    check_layer(layer, shape)
