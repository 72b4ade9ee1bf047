"""ConvTranspose2d / ConvTranspose1d: values by hand, a loop reference, the VJP
pairing with Conv2d, output sizes, edge cases, errors, threads and chunks,
and a wrong backward as negative control."""
import numpy as np
import pytest

import kubik
from kubik import layers, nets
from kubik.layers import Conv2d, ConvTranspose1d, ConvTranspose2d
from kubik.layers.conv import conv_transpose
from kubik.layers.runtime import parallel
from kubik.layers.testing import check_layer

pytestmark = pytest.mark.usefixtures("backend")   # the numpy path (phases) and the numba path (compiled col2im)


def reference(X, W, b, stride, padding, output_padding, dilation, groups):
    """Direct scatter loops: every input pixel spreads its weighted kernel onto the output."""
    N, C, H, Wd = X.shape
    _, Og, kh, kw = W.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    Wo = (Wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    Y = np.zeros((N, Og * groups, Ho, Wo))
    Cg = C // groups
    for n in range(N):
        for c in range(C):
            g = c // Cg
            for h in range(H):
                for w in range(Wd):
                    for i in range(kh):
                        for j in range(kw):
                            y, x = h * sh - ph + i * dh, w * sw - pw + j * dw
                            if 0 <= y < Ho and 0 <= x < Wo:
                                Y[n, g * Og:(g + 1) * Og, y, x] += X[n, c, h, w] * W[c, :, i, j]
    return Y + (0 if b is None else b[None, :, None, None])


def pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


CASES = [dict(kernel_size=3), dict(kernel_size=4, stride=2, padding=1),
         dict(kernel_size=3, stride=2, padding=1, output_padding=1, groups=2),
         dict(kernel_size=(3, 2), stride=(1, 3), padding=(2, 0), output_padding=(0, 2), dilation=(2, 1)),
         dict(kernel_size=2, stride=3, output_padding=2), dict(kernel_size=3, output_padding=1, dilation=2),
         dict(kernel_size=1, groups=4, bias=False), dict(kernel_size=3, padding=2)]


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_matches_loop_reference(kw):
    layer = ConvTranspose2d(4, 4, rng=0, dtype=np.float64, **kw)
    X = np.random.default_rng(1).standard_normal((2, 4, 4, 5))
    want = reference(X, layer.weight.data, None if layer.bias is None else layer.bias.data,
                     pair(kw.get("stride", 1)), pair(kw.get("padding", 0)), pair(kw.get("output_padding", 0)),
                     pair(kw.get("dilation", 1)), kw.get("groups", 1))
    Y = layer.forward(X)
    assert Y.shape == want.shape == (2,) + layer.output_shape((4, 4, 5))
    np.testing.assert_allclose(Y, want, atol=1e-12)


def test_by_hand():
    layer = ConvTranspose2d(1, 1, 2, dtype=np.float64)
    layer.weight.data[...] = 1.0
    layer.bias.data[...] = 0.5
    X = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    Y = layer.forward(X)     # each pixel spreads onto its 2x2 block: overlapping blocks add
    np.testing.assert_allclose(Y[0, 0], np.array([[1, 3, 2], [4, 10, 6], [3, 7, 4]]) + 0.5)
    dX = layer.backward(np.ones_like(Y))
    np.testing.assert_allclose(dX[0, 0], np.full((2, 2), 4.0))          # Σ of the weights each pixel fed
    np.testing.assert_allclose(layer.weight.grad[0, 0], np.full((2, 2), 10.0))   # Σ X under every offset
    np.testing.assert_allclose(layer.bias.grad, [9.0])
    # stride 2, kernel 2: the kernel tiled, scaled by each pixel, no overlap
    tiled = ConvTranspose2d(1, 1, 2, stride=2, bias=False, dtype=np.float64)
    tiled.weight.data[...] = [[[[1, 2], [3, 4]]]]
    np.testing.assert_allclose(tiled.forward(X)[0, 0], [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]])


@pytest.mark.parametrize("kw", CASES[:5], ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_is_the_adjoint_of_conv2d(kw):
    """<ConvTranspose2d(X), Z> = <X, Conv2d(Z)> with the same weight (no bias): the forward of one is
    the input gradient of the other, and Conv2d's backward equals ConvTranspose2d's forward."""
    kw = dict(kw, bias=False)
    op = kw.pop("output_padding", 0)
    t = ConvTranspose2d(4, 6, output_padding=op, rng=0, dtype=np.float64, **kw)
    c = Conv2d(6, 4, rng=1, dtype=np.float64, **kw)
    c.weight.data[...] = t.weight.data
    X = np.random.default_rng(2).standard_normal((2, 4, 3, 4))
    Y = t.forward(X)
    Z = np.random.default_rng(3).standard_normal(Y.shape)
    assert c.output_shape(Y.shape[1:]) == X.shape[1:]
    np.testing.assert_allclose(np.sum(Y * Z), np.sum(X * c.forward(Z)), rtol=1e-12)
    np.testing.assert_allclose(c.backward(X), Y, atol=1e-12)
    np.testing.assert_allclose(t.backward(Z), c.forward(Z), atol=1e-12)


def test_output_sizes_and_inference():
    assert ConvTranspose2d(64, 32, 4, stride=2, padding=1).output_shape((64, 16, 16)) == (32, 32, 32)
    assert ConvTranspose2d(3, 8, 3, stride=2, padding=1, output_padding=1).output_shape((3, 7, 5)) == (8, 14, 10)
    assert ConvTranspose2d(2, 2, (3, 1), dilation=(2, 1)).output_shape((2, 4, 4)) == (2, 8, 4)
    assert ConvTranspose2d(1, 1, 1).output_shape((1, 1, 1)) == (1, 1, 1)
    assert ConvTranspose2d.infer_args((3, 8, 8)) == {"in_channels": 3}
    assert ConvTranspose1d(3, 5, 4, stride=2, padding=1).output_shape((3, 10)) == (5, 20)
    assert ConvTranspose1d.infer_args((3, 10)) == {"in_channels": 3}


def test_parameters_layout_init_and_names():
    layer = ConvTranspose2d(4, 6, 3, groups=2, rng=0)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == (4, 3, 3, 3) and layer.bias.shape == (6,)     # (in, out/groups, kh, kw)
    bound = 1 / np.sqrt(3 * 9)                                                  # fan_in = out/groups·kh·kw
    assert np.abs(layer.weight.data).max() <= bound and layer.weight.data.std() > bound / 3
    assert ConvTranspose1d(4, 6, 3, groups=2).weight.shape == (4, 3, 3)
    assert len(ConvTranspose2d(2, 2, 3, bias=False).parameters()) == 1
    np.testing.assert_array_equal(ConvTranspose2d(2, 2, 3, rng=5).weight.data, ConvTranspose2d(2, 2, 3, rng=5).weight.data)
    assert repr(ConvTranspose2d(2, 3, 4, stride=2, padding=1, output_padding=1)) == \
        "ConvTranspose2d(2, 3, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))"


def test_edge_cases_zeros_batch_of_one_float32():
    layer = ConvTranspose2d(2, 3, 3, stride=2, rng=0)
    Y = layer.forward(np.zeros((1, 2, 2, 2), np.float32))
    assert Y.dtype == np.float32 and Y.shape == (1, 3, 5, 5)
    np.testing.assert_allclose(Y, np.broadcast_to(layer.bias.data[None, :, None, None], Y.shape))
    dX = layer.backward(np.ones_like(Y))
    assert dX.dtype == np.float32 and dX.shape == (1, 2, 2, 2) and layer.weight.grad.dtype == np.float32
    # a float64 input into a float32 layer gives float32; a non-contiguous view equals its copy
    X = np.random.default_rng(0).standard_normal((2, 2, 6, 3))[:, :, ::2]
    np.testing.assert_allclose(layer.forward(X), layer.forward(np.ascontiguousarray(X, np.float32)), rtol=1e-6)
    # the channel-major output feeds a following layer like any NCHW array
    conv = Conv2d(3, 2, 3, rng=1)
    np.testing.assert_allclose(conv.forward(Y), conv.forward(np.ascontiguousarray(Y)), rtol=1e-6)


def test_gradients_accumulate_and_propagate_down():
    layer = ConvTranspose2d(2, 3, 3, stride=2, padding=1, rng=0, dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((2, 2, 3, 3))
    G = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
    layer.forward(X)
    dX = layer.backward(G)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.backward(G)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0])
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1])
    layer.zero_grad()
    layer.set_propagate_down(False)
    layer.forward(X)
    assert layer.backward(G) is None
    np.testing.assert_allclose(layer.weight.grad, once[0])
    assert dX.shape == X.shape


def test_chunks_and_threads_give_the_same_results(monkeypatch):
    layer = ConvTranspose2d(3, 4, 4, stride=2, padding=1, output_padding=1, rng=0, dtype=np.float64)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 3, 4, 4))
    G = rng.standard_normal((5, 4, 9, 9))

    def run():
        layer.zero_grad()
        return layer.forward(X).copy(), layer.backward(G).copy(), layer.weight.grad.copy(), layer.bias.grad.copy()
    whole = run()
    monkeypatch.setattr(conv_transpose, "CACHE_BYTES", 0)
    monkeypatch.setattr(conv_transpose, "CHUNK_BYTES", 1)           # one sample per chunk
    assert len(layer._chunks(5, 100)) == 5
    for a, b in zip(whole, run()):
        np.testing.assert_allclose(a, b, atol=1e-12)
    serial = run()
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1)
    parallel.configure(2)
    try:
        assert layer.splits((3, 4, 4), 5, 2)
        for a, b in zip(serial, run()):
            np.testing.assert_array_equal(a, b)     # the same chunks, partial sums in chunk order
    finally:
        parallel.configure(1)


def test_both_phase_layouts_of_the_numpy_path_are_exercised():
    """The numpy forward's col2im by phases runs on X's own grid where every phase fits it (the
    decoder's k = 2s, p = s/2), else on a zero-bordered grid; the loop reference covers both."""
    from kubik.layers.conv.conv_transpose_phases import PhasePlan
    flat = PhasePlan((16, 16), (32, 32), (4, 4), (2, 2), (1, 1), (1, 1))
    assert flat.flat and flat.grid == (16, 16) and flat.front == 16 + 1 and flat.back == 16 + 1
    assert sorted(len(taps) for *_, taps in flat.phases) == [4, 4, 4, 4]
    bordered = PhasePlan((4, 5), (6, 7), (3, 3), (1, 1), (0, 0), (1, 1))     # k = 3, p = 0: 6 > 4 rows
    assert not bordered.flat and bordered.grid == (6, 7) and bordered.front == 0
    shapes = {kw.get("kernel_size"): ConvTranspose2d(4, 4, **kw)._phase_plan(
        (4, 5), ConvTranspose2d(4, 4, **kw).output_shape((4, 4, 5))[1:]).flat for kw in CASES[:2]}
    assert shapes == {3: False, 4: True}


def test_numpy_and_compiled_paths_agree():
    layer = ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, rng=0)
    X = np.random.default_rng(0).standard_normal((3, 4, 5, 6)).astype(np.float32)
    out = {}
    for name in ("numpy", "numba"):
        previous = kubik.set_backend(name)
        try:
            Y = layer.forward(X)
            out[name] = Y.copy(), layer.backward(np.ones_like(Y)).copy()
        finally:
            kubik.set_backend(previous)
    for a, b in zip(out["numpy"], out["numba"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_errors_name_the_layer_and_shapes():
    layer = ConvTranspose2d(3, 4, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 4, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(3, 4.*expected input of shape \(N, 3, H, W\), got \(2, 2, 5, 5\)"):
        layer.forward(np.zeros((2, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*\(3, H, W\) per sample, got \(3, 5\)"):
        layer.output_shape((3, 5))
    with pytest.raises(ValueError, match=r"input of size 1x1 gives an output of -1x-1"):
        ConvTranspose2d(1, 1, 1, padding=1).forward(np.zeros((1, 1, 1, 1), np.float32))
    layer.forward(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"grad_Y has shape \(1, 4, 3, 3\), expected \(1, 4, 4, 4\)"):
        layer.backward(np.zeros((1, 4, 3, 3), np.float32))
    with pytest.raises(ValueError, match=r"ConvTranspose1d.*\(N, C, L\)"):
        ConvTranspose1d(2, 2, 3).forward(np.zeros((1, 2, 3, 3), np.float32))


@pytest.mark.parametrize("kwargs,match", [
    (dict(output_padding=2, stride=2), "output_padding .* must be smaller than either the stride"),
    (dict(output_padding=1), "output_padding"), (dict(groups=3), "divisible by groups"),
    (dict(in_channels=0), "in_channels"), (dict(kernel_size=0), "kernel_size"), (dict(stride=0), "stride"),
    (dict(padding=-1), "padding"), (dict(dilation=0), "dilation"), (dict(kernel_size=2.5), "kernel_size")])
def test_bad_arguments(kwargs, match):
    args = dict(in_channels=4, out_channels=4, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ConvTranspose2d(**args)
    with pytest.raises(ValueError, match=match.replace("2d", "1d")):
        ConvTranspose1d(**{k: v for k, v in args.items()})


def test_conv_transpose1d_is_the_2d_layer_on_a_height_one_image():
    one = ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1, rng=0, dtype=np.float64)
    two = ConvTranspose2d(3, 4, (1, 3), stride=(1, 2), padding=(0, 1), output_padding=(0, 1), rng=1, dtype=np.float64)
    two.weight.data[...] = one.weight.data[:, :, None]
    two.bias.data[...] = one.bias.data
    X = np.random.default_rng(0).standard_normal((2, 3, 6))
    np.testing.assert_allclose(one.forward(X), two.forward(X[:, :, None])[:, :, 0], atol=1e-12)
    G = np.random.default_rng(1).standard_normal((2, 4, 12))
    np.testing.assert_allclose(one.backward(G), two.backward(G[:, :, None])[:, :, 0], atol=1e-12)
    np.testing.assert_allclose(one.weight.grad, two.weight.grad[:, :, 0], atol=1e-12)
    assert repr(one) == "ConvTranspose1d(3, 4, kernel_size=3, stride=2, padding=1, output_padding=1)"


class WrongConvTranspose2d(ConvTranspose2d):
    """Negative control: backward forgets the groups' second half of dW."""

    def backward(self, G):
        dX = super().backward(G)
        self.weight.grad[self.in_channels // 2:] = 0
        return dX


def test_negative_control_a_wrong_backward_fails_the_gradcheck():
    X = np.random.default_rng(0).standard_normal((2, 2, 3, 3))
    assert layers.gradcheck(ConvTranspose2d(2, 2, 3, stride=2, rng=0), X).ok
    with pytest.raises(layers.GradcheckError, match=r"at weight\[1"):
        layers.gradcheck(WrongConvTranspose2d(2, 2, 3, stride=2, rng=0), X)


@pytest.mark.parametrize("make,shape", [(lambda: ConvTranspose2d(2, 3, 3, stride=2, padding=1, rng=0), (2, 2, 3, 4)),
                                        (lambda: ConvTranspose1d(2, 3, 4, stride=2, rng=0), (2, 2, 5))])
def test_layer_contract(make, shape):
    check_layer(make(), shape)


def test_decoder_in_a_net_and_yaml_spec():
    net = nets.Sequential(layers.ConvTranspose2d(2, 3, 4, stride=2, padding=1, rng=0), layers.ReLU(),
                          layers.Conv2d(3, 1, 3, padding=1, rng=1))
    assert net.output_shape((2, 4, 4)) == (1, 8, 8)
    assert net[0].spec() == {"ConvTranspose2d": {"in_channels": 2, "out_channels": 3, "kernel_size": 4, "stride": 2,
                                                 "padding": 1}}
