"""Gradient-check cases for convolution, pooling, normalization and the
branching containers (collected by test_gradcheck_all.py; float64)."""
import numpy as np

from kubik import layers
from kubik import nets
from kubik.layers import AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, GlobalAvgPool2d, LayerNorm, MaxPool2d


def randn(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _bn_eval(cls, shape):
    bn = cls(shape[1], momentum=0.3)
    rng = np.random.default_rng(5)
    bn.weight.data[...] = rng.uniform(0.5, 1.5, shape[1])
    bn.bias.data[...] = rng.standard_normal(shape[1])
    bn.running_mean[...] = rng.standard_normal(shape[1])
    bn.running_var[...] = rng.uniform(0.5, 2.0, shape[1])
    return bn.eval(), randn(*shape, seed=6)


def _bn_train(cls, shape, **kw):
    bn = cls(shape[1], **kw)
    if bn.affine:
        bn.weight.data[...] = np.linspace(0.5, 1.5, shape[1])
        bn.bias.data[...] = np.linspace(-1, 1, shape[1])
    return bn, randn(*shape, seed=7)


def _ln(shape, normalized, **kw):
    ln = LayerNorm(normalized, **kw)
    if ln.elementwise_affine:
        ln.weight.data[...] = 1 + 0.3 * randn(*ln.weight.shape, seed=8)
        if ln.bias is not None:
            ln.bias.data[...] = randn(*ln.bias.shape, seed=9)
    return ln, randn(*shape, seed=10)


LAYER_CASES = {
    "Conv2d": [
        ("basic_pad1", lambda: (Conv2d(3, 4, 3, padding=1, rng=0), randn(2, 3, 5, 5))),
        ("stride2_pad1", lambda: (Conv2d(2, 3, 3, stride=2, padding=1, rng=1), randn(2, 2, 7, 6))),
        ("dilation2", lambda: (Conv2d(2, 2, 3, padding=2, dilation=2, rng=2), randn(1, 2, 7, 7))),
        ("kernel_equals_input", lambda: (Conv2d(2, 3, 5, rng=3), randn(2, 2, 5, 5))),
        ("odd_rect_kernel_stride", lambda: (Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), rng=4),
                                            randn(2, 2, 7, 5))),
        ("depthwise_groups_eq_channels", lambda: (Conv2d(3, 3, 3, padding=1, groups=3, rng=5), randn(2, 3, 5, 4))),
        ("groups2_stride2", lambda: (Conv2d(4, 6, 3, stride=2, padding=1, groups=2, rng=6), randn(2, 4, 5, 5))),
        ("groups2_grid_col2im", lambda: (Conv2d(2, 4, 3, padding=1, groups=2, rng=11), randn(2, 2, 4, 5))),
        ("pointwise_1x1", lambda: (Conv2d(3, 2, 1, rng=7), randn(2, 3, 4, 3))),
        ("col2im_path_no_bias", lambda: (Conv2d(2, 6, 3, bias=False, rng=8), randn(2, 2, 5, 6))),
        ("pad_wider_than_kernel_reach", lambda: (Conv2d(1, 2, 2, padding=2, rng=9), randn(2, 1, 3, 3))),
        ("batch_of_1", lambda: (Conv2d(1, 2, 3, padding=1, rng=10), randn(1, 1, 4, 4))),
    ],
    "MaxPool2d": [
        ("2x2", lambda: (MaxPool2d(2), randn(2, 3, 6, 6))),
        ("2x2_odd_size", lambda: (MaxPool2d(2), randn(2, 2, 7, 5))),
        ("overlap_k3_s2_pad1", lambda: (MaxPool2d(3, stride=2, padding=1), randn(2, 2, 7, 7))),
        ("overlap_k3_s1", lambda: (MaxPool2d(3, stride=1), randn(1, 2, 5, 6))),
        ("rect_dilation", lambda: (MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)), randn(2, 1, 6, 7))),
        ("kernel_equals_input", lambda: (MaxPool2d(4), randn(2, 2, 4, 4))),
    ],
    "AvgPool2d": [
        ("2x2", lambda: (AvgPool2d(2), randn(2, 3, 6, 6))),
        ("overlap_k3_s2_pad1", lambda: (AvgPool2d(3, stride=2, padding=1), randn(2, 2, 7, 7))),
        ("exclude_pad", lambda: (AvgPool2d(3, stride=2, padding=1, count_include_pad=False), randn(2, 2, 6, 5))),
        ("odd_rect", lambda: (AvgPool2d((3, 2), stride=1), randn(1, 2, 5, 4))),
    ],
    "GlobalAvgPool2d": [
        ("flat", lambda: (GlobalAvgPool2d(), randn(2, 3, 4, 5))),
        ("keepdim", lambda: (GlobalAvgPool2d(keepdim=True), randn(2, 3, 3, 3))),
    ],
    "AdaptiveAvgPool2d": [
        ("to_1x1", lambda: (AdaptiveAvgPool2d(1), randn(2, 3, 4, 5))),
        ("uneven_bins", lambda: (AdaptiveAvgPool2d((3, 2)), randn(2, 2, 7, 5))),
        ("keep_height", lambda: (AdaptiveAvgPool2d((None, 2)), randn(1, 2, 3, 4))),
    ],
    "BatchNorm1d": [
        ("train_2d", lambda: _bn_train(BatchNorm1d, (5, 3))),
        ("train_3d", lambda: _bn_train(BatchNorm1d, (3, 2, 4))),
        ("train_no_affine", lambda: _bn_train(BatchNorm1d, (4, 3), affine=False)),
        ("eval", lambda: _bn_eval(BatchNorm1d, (4, 3))),
        ("eval_batch_of_1", lambda: _bn_eval(BatchNorm1d, (1, 3))),
    ],
    "BatchNorm2d": [
        ("train", lambda: _bn_train(BatchNorm2d, (3, 2, 3, 3))),
        ("train_batch_of_1", lambda: _bn_train(BatchNorm2d, (1, 2, 3, 2))),
        ("train_cumulative_no_running", lambda: _bn_train(BatchNorm2d, (2, 3, 2, 2), momentum=None,
                                                         track_running_stats=False)),
        ("eval", lambda: _bn_eval(BatchNorm2d, (2, 3, 2, 3))),
    ],
    "LayerNorm": [
        ("last_axis", lambda: _ln((4, 5), 5)),
        ("two_axes", lambda: _ln((2, 3, 4), (3, 4))),
        ("no_affine", lambda: _ln((3, 6), 6, elementwise_affine=False)),
        ("no_bias_batch_of_1", lambda: _ln((1, 4), 4, bias=False)),
    ],
    "Residual": [
        ("identity_skip", lambda: (nets.Residual(nets.Sequential(layers.Linear(4, 6, rng=0), layers.Tanh(),
                                                                 layers.Linear(6, 4, rng=1))), randn(3, 4))),
        ("conv_projection", lambda: (nets.Residual(nets.Sequential(Conv2d(2, 3, 3, padding=1, rng=2), layers.Tanh()),
                                                   projection=Conv2d(2, 3, 1, rng=3)), randn(2, 2, 4, 4))),
    ],
    "Concat": [
        ("features", lambda: (nets.Concat(layers.Linear(4, 3, rng=0), nets.Sequential(layers.Linear(4, 2, rng=1),
                                                                                      layers.Tanh())), randn(3, 4))),
        ("channels_with_identity", lambda: (nets.Concat(Conv2d(2, 3, 3, padding=1, rng=2), layers.Identity(),
                                                        AvgPool2d(3, stride=1, padding=1)), randn(2, 2, 4, 3))),
        ("last_axis", lambda: (nets.Concat(layers.Identity(), layers.Tanh(), axis=-1), randn(2, 3, 2))),
    ],
}
