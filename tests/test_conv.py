"""Conv2d: values by hand, a loop reference, edge cases and errors."""
import numpy as np
import pytest

from kubik import layers
import kubik.layers.conv.conv
from kubik.layers import Conv2d

pytestmark = pytest.mark.usefixtures("backend")  # every test on the numpy and the numba path


def reference_conv(X, W, b, stride, padding, dilation, groups):
    """Direct loops over every output element (tiny inputs only)."""
    N, C, H, Wd = X.shape
    O, Cg, kh, kw = W.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Xp = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (Wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    Y = np.zeros((N, O, Ho, Wo))
    Og = O // groups
    for n in range(N):
        for o in range(O):
            g = o // Og
            for y in range(Ho):
                for x in range(Wo):
                    win = Xp[n, g * Cg:(g + 1) * Cg, y * sh:y * sh + dh * (kh - 1) + 1:dh, x * sw:x * sw + dw * (kw - 1) + 1:dw]
                    Y[n, o, y, x] = np.sum(win * W[o]) + (b[o] if b is not None else 0)
    return Y


def reference_conv_backward(X, W, G, stride, padding, dilation, groups):
    """(dX, dW, db) of L = Σ Y ⊙ G by direct loops: every output element adds G times its
    window's weights into dX and G times its window into dW (tiny inputs only)."""
    N, C, H, Wd = X.shape
    O, Cg, kh, kw = W.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Xp = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dXp, dW = np.zeros_like(Xp), np.zeros_like(W)
    Og = O // groups
    for n in range(N):
        for o in range(O):
            g = o // Og
            for y in range(G.shape[2]):
                for x in range(G.shape[3]):
                    rows = slice(y * sh, y * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(x * sw, x * sw + dw * (kw - 1) + 1, dw)
                    dXp[n, g * Cg:(g + 1) * Cg, rows, cols] += G[n, o, y, x] * W[o]
                    dW[o] += G[n, o, y, x] * Xp[n, g * Cg:(g + 1) * Cg, rows, cols]
    return dXp[:, :, ph:ph + H, pw:pw + Wd], dW, G.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("C,O,k,s,p,d,g,H,W,mode", [
    (4, 4, 3, 1, 2, 2, 4, 6, 7, "full"),            # dilation 2, depthwise
    (4, 6, 2, 1, 0, 2, 2, 6, 7, "grid"),            # dilation 2, two groups
    (4, 6, 3, 2, 1, 2, 2, 9, 8, "col2im"),          # stride 2, dilation 2, two groups
    (2, 4, (3, 2), 1, (2, 1), (2, 3), 2, 7, 8, "grid"),   # a different dilation per axis
])
def test_backward_with_dilation_and_groups_matches_the_loop_reference(C, O, k, s, p, d, g, H, W, mode):
    """Each backend's backward (this module runs on numpy and on numba) against direct loops,
    not only against each other, for every way dX is computed."""
    conv = Conv2d(C, O, k, stride=s, padding=p, dilation=d, groups=g, rng=0, dtype=np.float64)
    pair = lambda v: v if isinstance(v, tuple) else (v, v)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, C, H, W))
    out_shape = conv.output_shape((C, H, W))
    assert conv._input_grad_mode(C, (H, W), out_shape[1:]) == mode
    G = rng.standard_normal((2,) + out_shape)
    conv.forward(X)
    dX = conv.backward(G)
    want_dX, want_dW, want_db = reference_conv_backward(X, conv.weight.data, G, pair(s), pair(p), pair(d), g)
    np.testing.assert_allclose(dX, want_dX, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.weight.grad, want_dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.bias.grad, want_db, rtol=1e-12, atol=1e-12)


def test_dilated_grouped_input_gradient_by_hand():
    """Two groups of one channel, a 2-tap kernel with dilation 2 along the width: each output
    x reads inputs x and x+2 of its own channel, so dX[c, x] = w0·G[x] + w1·G[x − 2]."""
    conv = Conv2d(2, 2, (1, 2), dilation=(1, 2), groups=2, bias=False, dtype=np.float64)
    conv.weight.data[...] = [[[[1.0, 10.0]]], [[[2.0, -3.0]]]]
    X = np.zeros((1, 2, 1, 5))
    conv.forward(X)
    G = np.array([[[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]])
    dX = conv.backward(G)
    np.testing.assert_allclose(dX[0, 0, 0], [1, 2, 3 + 10, 20, 30])
    np.testing.assert_allclose(dX[0, 1, 0], [8, 10, 12 - 12, -15, -18])


def test_one_channel_3x3_by_hand():
    conv = Conv2d(1, 1, 3, padding=1, dtype=np.float64)
    conv.weight.data[...] = [[[[0, 1, 0], [1, -4, 1], [0, 1, 0]]]]   # the discrete Laplacian
    conv.bias.data[...] = 0.5
    X = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    Y = conv.forward(X)
    # e.g. Y[0, 0] = 2 + 4 − 4·1 + 0.5;  Y[1, 1] = 2 + 4 + 6 + 8 − 4·5 + 0.5
    np.testing.assert_allclose(Y[0, 0], [[2.5, 1.5, -3.5], [-2.5, 0.5, -6.5], [-15.5, -10.5, -21.5]])
    dX = conv.backward(np.ones_like(Y))
    # each input pixel collects the weights of the windows that cover it
    np.testing.assert_allclose(dX[0, 0], [[-2, -1, -2], [-1, 0, -1], [-2, -1, -2]])
    # dW[i, j] = Σ over outputs of X shifted by (i − 1, j − 1) (zero outside)
    np.testing.assert_allclose(conv.weight.grad[0, 0], [[12, 21, 16], [27, 45, 33], [24, 39, 28]])
    np.testing.assert_allclose(conv.bias.grad, [9])


@pytest.mark.parametrize("C,O,k,s,p,d,g,H,W", [
    (3, 4, 3, 1, 1, 1, 1, 6, 5),
    (2, 6, 3, 2, 1, 1, 2, 7, 6),
    (4, 4, 3, 1, 1, 1, 4, 5, 5),
    (2, 3, (3, 2), (2, 1), (0, 1), (2, 1), 1, 8, 5),
    (1, 2, 5, 1, 2, 1, 1, 5, 5),
    (3, 2, 1, 2, 0, 1, 1, 5, 4),
])
def test_matches_loop_reference(C, O, k, s, p, d, g, H, W):
    conv = Conv2d(C, O, k, stride=s, padding=p, dilation=d, groups=g, rng=0, dtype=np.float64)
    X = np.random.default_rng(1).standard_normal((2, C, H, W))
    pair = lambda v: v if isinstance(v, tuple) else (v, v)
    Y = conv.forward(X)
    np.testing.assert_allclose(Y, reference_conv(X, conv.weight.data, conv.bias.data, pair(s), pair(p), pair(d), g),
                               atol=1e-12)


def _run(conv, X, G):
    conv.zero_grad()
    Y = conv.forward(X)
    dX = conv.backward(G)
    return Y.copy(), dX.copy(), conv.weight.grad.copy(), conv.bias.grad.copy()


@pytest.mark.parametrize("args,mode", [
    (dict(kernel_size=3, padding=1), "grid"), (dict(kernel_size=3, stride=2, padding=1), "col2im"),
    (dict(kernel_size=3, groups=2, padding=1), "grid"), (dict(kernel_size=1), "pointwise"),
    (dict(kernel_size=2, dilation=2), "grid"), (dict(out_channels=3, kernel_size=3, padding=1), "full"),
    (dict(out_channels=4, kernel_size=3, padding=2, dilation=2, groups=4), "full")])
def test_chunked_columns_match_whole_batch(monkeypatch, args, mode):
    """Large batches build the columns a chunk of samples at a time; same result
    for every way of computing dX."""
    args = dict(args)   # the parameter dict is shared by the numpy and the numba run
    conv = Conv2d(4, args.pop("out_channels", 6), rng=0, dtype=np.float64, **args)
    out_hw = conv.output_shape((4, 6, 7))[1:]
    assert conv._input_grad_mode(4, (6, 7), out_hw) == mode
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 4, 6, 7))
    G = rng.standard_normal((5,) + conv.output_shape((4, 6, 7)))
    whole = _run(conv, X, G)
    monkeypatch.setattr(kubik.layers.conv.conv, "CACHE_BYTES", 0)
    monkeypatch.setattr(kubik.layers.conv.conv, "CHUNK_BYTES", 1)  # one sample per chunk
    monkeypatch.setattr(kubik.layers.conv.conv, "NARROW_BYTES", 1)  # (layers with <= 8 output channels)
    assert len(conv._chunks(5, 100)) == 5
    for a, b in zip(whole, _run(conv, X, G)):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_narrow_layers_build_columns_in_small_chunks():
    """<= 8 output channels per group: columns in L2-sized chunks of samples even when the
    whole batch would fit CACHE_BYTES (LeNet's conv1: 5 samples of 78 KB); wider layers keep
    small batches whole."""
    per_sample = 25 * 28 * 28 * 4
    assert Conv2d(1, 8, 5, padding=2)._chunks(64, per_sample)[:2] == [(0, 5), (5, 10)]
    assert Conv2d(1, 16, 5, padding=2)._chunks(64, per_sample) == [(0, 64)]
    assert Conv2d(4, 16, 5, groups=2)._chunks(64, per_sample)[0] == (0, 5)      # 8 per group
    assert Conv2d(1, 8, 5)._chunks(3, 10 << 20) == [(0, 1), (1, 2), (2, 3)]     # at least one sample


def test_output_shapes_and_inference():
    assert Conv2d(3, 8, 3).output_shape((3, 32, 32)) == (8, 30, 30)
    assert Conv2d(3, 8, 3, stride=2, padding=1).output_shape((3, 32, 31)) == (8, 16, 16)
    assert Conv2d(1, 8, 5, padding=2).output_shape((1, 28, 28)) == (8, 28, 28)
    assert Conv2d(2, 4, (3, 1), dilation=(2, 1)).output_shape((2, 9, 4)) == (4, 5, 4)
    assert Conv2d(2, 4, 5).output_shape((2, 5, 5)) == (4, 1, 1)     # kernel equal to the input
    assert Conv2d.infer_args((3, 32, 32)) == {"in_channels": 3}
    conv = Conv2d(2, 3, 3, stride=2, padding=1)
    assert conv.forward(np.zeros((4, 2, 7, 7), np.float32)).shape == (4, 3, 4, 4)


def test_parameters_init_and_names():
    conv = Conv2d(4, 6, 3, groups=2, rng=0)
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert conv.weight.shape == (6, 2, 3, 3) and conv.bias.shape == (6,)
    bound = 1 / np.sqrt(2 * 9)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert conv.weight.data.std() > bound / 3
    assert Conv2d(4, 6, 3, bias=False).named_parameters()[0][0] == "weight"
    assert len(Conv2d(4, 6, 3, bias=False).parameters()) == 1
    np.testing.assert_array_equal(Conv2d(2, 2, 3, rng=5).weight.data, Conv2d(2, 2, 3, rng=5).weight.data)


def test_float32_stays_float32_and_layouts():
    conv = Conv2d(2, 3, 3, padding=1, rng=0)
    X = np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32)
    Y = conv.forward(X)
    assert Y.dtype == np.float32 and Y.shape == (2, 3, 5, 5)
    dX = conv.backward(np.ones_like(Y))
    assert dX.dtype == np.float32 and conv.weight.grad.dtype == np.float32 and conv.bias.grad.dtype == np.float32
    # a non-contiguous input view works and gives the same values as its copy
    Xv = np.random.default_rng(1).standard_normal((2, 2, 10, 5)).astype(np.float32)[:, :, ::2]
    np.testing.assert_allclose(conv.forward(Xv), conv.forward(np.ascontiguousarray(Xv)), rtol=1e-6)
    # the channel-major output feeds a following convolution like any NCHW array
    conv2 = Conv2d(3, 2, 3, rng=1)
    np.testing.assert_allclose(conv2.forward(Y), conv2.forward(np.ascontiguousarray(Y)), rtol=1e-6)


def test_gradients_accumulate_and_propagate_down():
    conv = Conv2d(2, 3, 3, padding=1, rng=0, dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((2, 2, 4, 4))
    G = np.random.default_rng(1).standard_normal((2, 3, 4, 4))
    conv.forward(X)
    dX = conv.backward(G)
    once = conv.weight.grad.copy()
    conv.backward(G)
    np.testing.assert_allclose(conv.weight.grad, 2 * once)
    conv.zero_grad()
    conv.set_propagate_down(False)
    conv.forward(X)
    assert conv.backward(G) is None
    np.testing.assert_allclose(conv.weight.grad, once)
    assert dX.shape == X.shape


def test_zero_input_and_batch_of_one():
    conv = Conv2d(1, 2, 3, padding=1, rng=0)
    Y = conv.forward(np.zeros((1, 1, 3, 3), np.float32))
    np.testing.assert_allclose(Y, np.broadcast_to(conv.bias.data[None, :, None, None], Y.shape))
    assert conv.backward(np.zeros_like(Y)).shape == (1, 1, 3, 3)


def test_errors_name_layer_and_shapes():
    conv = Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        conv.backward(np.zeros((1, 4, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*expected input of shape \(N, 3, H, W\), got \(2, 2, 5, 5\)"):
        conv.forward(np.zeros((2, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"Conv2d.*\(3, H, W\) per sample, got \(3, 5\)"):
        conv.output_shape((3, 5))
    with pytest.raises(ValueError, match=r"Conv2d.*2x2 is smaller than the kernel"):
        conv.forward(np.zeros((1, 3, 2, 2), np.float32))
    conv.forward(np.zeros((1, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"grad_Y has shape \(1, 4, 2, 2\), expected \(1, 4, 3, 3\)"):
        conv.backward(np.zeros((1, 4, 2, 2), np.float32))


@pytest.mark.parametrize("kwargs,match", [
    (dict(in_channels=0), "in_channels"), (dict(kernel_size=0), "kernel_size"), (dict(kernel_size=(3,)), "kernel_size"),
    (dict(stride=0), "stride"), (dict(padding=-1), "padding"), (dict(dilation=0), "dilation"),
    (dict(groups=3), "divisible by groups"), (dict(kernel_size=2.5), "kernel_size")])
def test_bad_arguments(kwargs, match):
    args = dict(in_channels=4, out_channels=4, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Conv2d(**args)


def test_state_dict_roundtrip_and_repr():
    a, b = Conv2d(2, 3, 3, stride=2, padding=1, rng=0), Conv2d(2, 3, 3, stride=2, padding=1, rng=1)
    b.load_state_dict(a.state_dict())
    X = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)
    np.testing.assert_array_equal(a.forward(X), b.forward(X))
    assert repr(a) == "Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert layers.LAYERS.get("Conv2d") is Conv2d


def test_astype_float64_then_back():
    conv = Conv2d(2, 2, 3, rng=0)
    X = np.random.default_rng(0).standard_normal((2, 2, 4, 4))
    Y32 = conv.forward(X.astype(np.float32))
    conv.astype(np.float64)
    Y64 = conv.forward(X)
    assert Y64.dtype == np.float64
    np.testing.assert_allclose(Y32, Y64, rtol=1e-5, atol=1e-6)
    conv.astype(np.float32)
    assert conv.forward(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("algo", ["im2col", "winograd"])
def test_a_new_input_size_with_the_same_output_size_reads_no_stale_pixels(algo):
    # stride 2 maps 8x8 and 7x7 to 4x4 (a 5x5 and a 6x6 map give Winograd the same tile grid): the
    # zero-bordered work arrays of the first size must not lend it their pixels
    rng = np.random.default_rng(0)
    stride, sizes = (2, (8, 7)) if algo == "im2col" else (1, (6, 5))
    layers.seed(0)
    conv = layers.Conv2d(16, 16, 3, stride=stride, padding=1, algo=algo)
    layers.seed(0)
    fresh = layers.Conv2d(16, 16, 3, stride=stride, padding=1, algo=algo)
    conv.forward(rng.standard_normal((2, 16, sizes[0], sizes[0])).astype(np.float32))
    X = rng.standard_normal((2, 16, sizes[1], sizes[1])).astype(np.float32)
    Y = conv.forward(X)
    G = rng.standard_normal(Y.shape).astype(np.float32)
    np.testing.assert_array_equal(Y, fresh.forward(X))
    np.testing.assert_array_equal(conv.backward(G), fresh.backward(G))
