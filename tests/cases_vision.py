"""Gradient-check cases for the vision blocks of issue 26: transposed
convolutions, Upsample, ZeroPad2d, GroupNorm, Dropout2d, PReLU, SiLU, Mish and
Hardtanh (collected by test_gradcheck_all.py; float64, input and every parameter)."""
import numpy as np

from kubik import layers as L


def randn(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def away_from(*shape, seed=0, kinks=(0.0,), margin=0.1, scale=1.0):
    """Values at least ``margin`` away from every kink (finite differences must not straddle one)."""
    X = randn(*shape, seed=seed, scale=scale)
    for k in kinks:
        close = np.abs(X - k) < margin
        X[close] = k + margin * np.where(X[close] >= k, 1.5, -1.5)
    return X


def _gn(G, C, shape, **kw):
    gn = L.GroupNorm(G, C, **kw)
    if gn.affine:
        gn.weight.data[...] = np.linspace(0.5, 1.5, C)
        gn.bias.data[...] = np.linspace(-1, 1, C)
    return gn, randn(*shape, seed=3)


def _prelu(n, shape):
    p = L.PReLU(n)
    p.weight.data[...] = np.linspace(0.1, 0.4, n)
    return p, away_from(*shape, seed=4)


CT2 = L.ConvTranspose2d
LAYER_CASES = {
    "ConvTranspose2d": [
        ("basic", lambda: (CT2(3, 4, 3, rng=0), randn(2, 3, 4, 5))),
        ("k4_s2_p1", lambda: (CT2(2, 3, 4, stride=2, padding=1, rng=1), randn(2, 2, 3, 4))),
        ("output_padding_groups", lambda: (CT2(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, rng=2),
                                           randn(2, 4, 3, 3))),
        ("rect_dilation_no_bias", lambda: (CT2(2, 3, (3, 2), stride=(1, 2), padding=(2, 0), dilation=(2, 1),
                                               bias=False, rng=3), randn(2, 2, 4, 3))),
        ("output_padding_beyond_stride", lambda: (CT2(2, 2, 3, output_padding=1, dilation=2, rng=4), randn(1, 2, 3, 3))),
        ("stride3_uncovered_phase", lambda: (CT2(2, 2, 2, stride=3, output_padding=2, rng=5), randn(2, 2, 2, 3))),
        ("pointwise_depthwise", lambda: (CT2(3, 3, 1, groups=3, rng=6), randn(2, 3, 2, 3))),
        ("batch_of_1", lambda: (CT2(1, 2, 3, stride=2, rng=7), randn(1, 1, 2, 2))),
    ],
    "ConvTranspose1d": [
        ("basic", lambda: (L.ConvTranspose1d(3, 2, 3, rng=0), randn(2, 3, 5))),
        ("stride_pad_outpad_groups", lambda: (L.ConvTranspose1d(4, 2, 4, stride=2, padding=1, output_padding=1,
                                                                groups=2, rng=1), randn(2, 4, 4))),
        ("dilation_no_bias", lambda: (L.ConvTranspose1d(2, 3, 3, dilation=2, bias=False, rng=2), randn(1, 2, 4))),
    ],
    "Upsample": [
        ("nearest_2x", lambda: (L.Upsample(scale_factor=2), randn(2, 2, 3, 3))),
        ("nearest_size_3d", lambda: (L.Upsample(size=7), randn(2, 3, 4))),
        ("bilinear", lambda: (L.Upsample(scale_factor=2, mode="bilinear"), randn(2, 2, 3, 4))),
        ("bilinear_align_corners", lambda: (L.Upsample(size=(5, 7), mode="bilinear", align_corners=True),
                                            randn(1, 2, 3, 4))),
        ("bilinear_down", lambda: (L.Upsample(scale_factor=(0.6, 1.5), mode="bilinear"), randn(2, 1, 5, 3))),
        ("linear_3d", lambda: (L.Upsample(scale_factor=1.7, mode="linear"), randn(2, 2, 5))),
    ],
    "ZeroPad2d": [
        ("all_sides", lambda: (L.ZeroPad2d(1), randn(2, 2, 3, 3))),
        ("uneven_and_cropping", lambda: (L.ZeroPad2d((2, -1, 0, -2)), randn(2, 1, 5, 4))),
    ],
    "GroupNorm": [
        ("two_groups_image", lambda: _gn(2, 4, (3, 4, 3, 2))),
        ("one_group_vector", lambda: _gn(1, 3, (4, 3))),
        ("per_channel_no_affine", lambda: _gn(3, 3, (2, 3, 5), affine=False)),
        ("batch_of_1", lambda: _gn(2, 2, (1, 2, 2, 3))),
    ],
    "Dropout2d": [
        ("train", lambda: (L.Dropout2d(0.4, rng=0), randn(4, 3, 2, 2))),
        ("eval", lambda: (L.Dropout2d(0.4).eval(), randn(2, 3, 2, 2))),
    ],
    "PReLU": [
        ("shared_slope", lambda: _prelu(1, (3, 5))),
        ("per_channel_image", lambda: _prelu(3, (2, 3, 2, 2))),
    ],
    "SiLU": [("basic", lambda: (L.SiLU(), randn(4, 5, scale=3))),
             ("extreme", lambda: (L.SiLU(), np.array([[-40.0, -8.0, 0.0, 8.0, 40.0]])))],
    "Mish": [("basic", lambda: (L.Mish(), randn(4, 5, scale=3))),
             ("extreme", lambda: (L.Mish(), np.array([[-40.0, -8.0, 0.0, 8.0, 40.0]])))],
    "Hardtanh": [("default", lambda: (L.Hardtanh(), away_from(4, 5, kinks=(-1.0, 1.0), scale=2))),
                 ("bounds", lambda: (L.Hardtanh(-0.5, 2.0), away_from(4, 5, kinks=(-0.5, 2.0), scale=2)))],
}
