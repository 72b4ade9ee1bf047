"""The numba backend gives the numpy path's results bit for bit (the kernels
keep the numpy path's operation order), import kubik does not import numba,
and the switch reports bad choices."""
import subprocess
import sys

import numpy as np
import pytest

import kubik
from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim
from kubik.layers import kernels


def on(backend, fn):
    previous = kernels.set_backend(backend)
    try:
        return fn()
    finally:
        kernels.set_backend(previous)


def both(fn):
    a, b = on("numpy", fn), on("numba", fn)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
        assert x.dtype == y.dtype
    return a


CONVS = [dict(kernel_size=3, padding=1), dict(kernel_size=5, padding=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=3, dilation=2, padding=2), dict(kernel_size=(2, 3), stride=(1, 2)), dict(kernel_size=3),
         dict(kernel_size=3, groups=2, padding=1), dict(kernel_size=4, stride=3, padding=1),
         dict(kernel_size=3, padding=1, algo="winograd"), dict(kernel_size=3, algo="winograd")]


@pytest.mark.parametrize("args", CONVS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_forward_backward_bitwise(args, dtype):
    X = np.random.default_rng(0).standard_normal((3, 4, 9, 8)).astype(dtype)

    def run():
        conv = layers.Conv2d(4, 6, rng=0, dtype=dtype, **args)
        Y = conv.forward(X)
        G = np.random.default_rng(1).standard_normal(Y.shape).astype(dtype)
        dX = conv.backward(G)
        return Y, dX, conv.weight.grad, conv.bias.grad
    both(run)


@pytest.mark.parametrize("layout", ["nchw", "channel_major", "strided"])
@pytest.mark.parametrize("channels", [1, 3])
def test_conv_input_layouts_bitwise(layout, channels):
    """The compiled im2col reads NCHW and channel-major memory (a conv/pool output) directly;
    other layouts fall back to numpy's copies. Rows of 1 to 12 floats: the 8-wide block copies."""
    X = np.random.default_rng(4).standard_normal((3, channels, 12, 13)).astype(np.float32)
    if layout == "channel_major":
        X = np.ascontiguousarray(X.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    elif layout == "strided":
        X = np.repeat(X, 2, axis=3)[:, :, :, ::2]

    def run():
        out = []
        for args in (dict(kernel_size=5, padding=2), dict(kernel_size=3), dict(kernel_size=(1, 12)),
                     dict(kernel_size=3, stride=2, padding=1)):
            conv = layers.Conv2d(channels, 4, rng=0, **args)
            Y = conv.forward(X)
            out += [Y, conv.backward(rng_g(Y.shape)), conv.weight.grad]
        return out
    both(run)


def test_chunked_narrow_conv_bitwise():
    """LeNet's conv1 shape over several L2-sized chunks of samples (conv.NARROW_BYTES).
    dX: the numpy path computes it on the padded grid, a GEMM of another shape
    than the compiled col2im's, and BLAS may round those differently (OpenBLAS's
    Haswell kernels on a Zen 5 do): equal up to float32 rounding there."""
    X = np.random.default_rng(5).standard_normal((12, 1, 28, 28)).astype(np.float32)

    def run(dx):
        conv = layers.Conv2d(1, 8, 5, padding=2, rng=0)
        assert len(conv._chunks(12, 25 * 28 * 28 * 4)) == 3
        Y = conv.forward(X)
        dX = conv.backward(rng_g(Y.shape))
        return (dX,) if dx else (Y, conv.weight.grad, conv.bias.grad)
    both(lambda: run(False))
    modes = [on(b, lambda: layers.Conv2d(1, 8, 5, padding=2, rng=0)._input_grad_mode(1, (28, 28), (28, 28))
                if kernels.kernel("col2im") is None else "col2im") for b in ("numpy", "numba")]
    assert modes == ["grid", "col2im"]
    (a,), (b,) = on("numpy", lambda: run(True)), on("numba", lambda: run(True))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,chunks", [((40, 2, 30, 30), 2), ((12, 1, 64, 64), 2), ((1, 3, 30, 30), 1),
                                          ((30, 1, 31, 1), 1)])
def test_chunked_strided_conv_input_grad_bitwise(shape, chunks):
    """col2im into chunks of samples of a channel-major dX (narrow layers build columns in
    chunks): the compiled kernel writes the strided chunk in place; length-1 axes too."""
    X = np.random.default_rng(8).standard_normal(shape).astype(np.float32)

    def run():
        conv = layers.Conv2d(shape[1], 4, (3, 1) if shape[3] == 1 else 3, stride=2, padding=1, rng=0)
        Y = conv.forward(X)
        geo = conv._geometry(shape[2:])
        assert len(conv._chunks(shape[0], shape[1] * geo.kernel_size * Y.shape[2] * Y.shape[3] * 4)) == chunks
        return Y, conv.backward(rng_g(Y.shape)), conv.weight.grad
    both(run)


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 1, 7, 9), (4, 2, 2, 2)])
def test_maxpool_2x2_bitwise_with_ties(shape):
    rng = np.random.default_rng(2)
    X = rng.integers(0, 3, shape).astype(np.float32)        # many ties: the tie rule must match
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)   # a non-contiguous view

    def run():
        out = []
        for x in (X, Xt):
            pool = layers.MaxPool2d(2)
            Y = pool.forward(x)
            out += [Y, pool.backward(rng_g(Y.shape))]
        return out
    both(run)


def rng_g(shape):
    return np.random.default_rng(3).standard_normal(shape).astype(np.float32)


def test_relu_bitwise_and_values():
    X = np.array([[-2.0, -0.0, 0.0, 1e-30, 3.0, -np.inf, np.inf, np.nan]], np.float32)

    def run():
        relu = layers.ReLU()
        Y = relu.forward(X)
        return Y, relu.backward(np.full(X.shape, 2.0, np.float32))
    Y, dX = both(run)
    np.testing.assert_array_equal(Y, np.maximum(X, 0))          # NaN stays NaN, as np.maximum
    np.testing.assert_array_equal(dX, [[0, 0, 0, 2, 2, 0, 2, 0]])  # no gradient through NaN, as torch


@pytest.mark.parametrize("gdtype", [np.float32, np.float64])
def test_relu_layouts_and_dtypes_bitwise(gdtype):
    """Channel-major input (a conv output), G of another dtype or layout: same values and dtypes."""
    X = np.random.default_rng(6).standard_normal((4, 3, 5, 6)).astype(np.float32)
    X[0, 0, 0, :3] = [np.nan, -0.0, np.inf]
    Xc = np.ascontiguousarray(X.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    G = np.random.default_rng(7).standard_normal(X.shape).astype(gdtype)
    G[0, 0, 0, 4:] = [np.inf, -np.inf]

    def run():
        out = []
        for x in (X, Xc):
            relu = layers.ReLU()
            for g in (G, np.ascontiguousarray(G.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)):
                out += [relu.forward(x).copy(), relu.backward(g).copy()]
        return out
    both(run)


OPTS = [(optim.SGD, dict(lr=0.1)), (optim.SGD, dict(lr=0.1, momentum=0.9)),  # the kernel's two branch-free loops
        (optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=1e-2)),
        (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)), (optim.SGD, dict(lr=0.1, momentum=0.5, dampening=0.25)),
        (optim.Adam, dict(lr=0.01, weight_decay=1e-2)), (optim.Adam, dict(lr=0.01, amsgrad=True)),
        (optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
        (optim.RMSprop, dict(lr=0.01, weight_decay=1e-2)), (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True)),
        (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=1e-2, initial_accumulator_value=0.1))]


@pytest.mark.parametrize("cls,args", OPTS)
@pytest.mark.parametrize("flat", [True, False])
def test_fused_optimizer_kernels_bitwise(cls, args, flat, monkeypatch):
    monkeypatch.setattr(optim.sgd, "PLAIN_FUSED_MIN", 0)   # this net is small: use the kernel anyway
    X = np.random.default_rng(1).standard_normal((16, 1, 8, 8)).astype(np.float32)
    y = np.arange(16) % 3

    def run():
        layers.seed(0)
        net = nets.Sequential(layers.Conv2d(1, 4, 3, padding=1), layers.ReLU(), layers.MaxPool2d(2),
                              layers.Flatten(), layers.Linear(64, 3))
        if flat:
            net.flatten_parameters()
        opt = cls(net.parameters(), **args)
        loss = losses.CrossEntropy()
        for _ in range(6):
            opt.zero_grad()
            loss.forward(net.forward(X), y)
            net.backward(loss.backward())
            opt.step()
        saved = opt.state_dict()["state"]
        return [p.data for p in net.parameters()] + [saved[i][k] for i in sorted(saved) for k in sorted(saved[i])]
    both(run)


@pytest.mark.parametrize("cls", [optim.Adam, optim.RMSprop, optim.Adagrad])
def test_fused_division_by_zero_is_numpys_nan_not_an_exception(cls):
    """eps = 1e-50 is 0 in float32: a zero gradient gives 0/0. The kernels use numba's
    numpy error model (no per-element ZeroDivisionError check, which also kept LLVM
    from vectorizing them: Adam 2.4 -> 0.25 ms on 536k parameters), so both paths
    give numpy's NaN."""
    def run():
        p = layers.Parameter(np.ones(40, np.float32))
        opt = cls([p], lr=0.1, eps=1e-50)
        p.grad[...] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            opt.step()
        return [p.data]
    out = both(run)
    assert np.isnan(out[0]).all()


def test_small_plain_sgd_stays_on_numpy_passes(monkeypatch):
    """Below optim.sgd.PLAIN_FUSED_MIN values, plain SGD skips the compiled call (its
    argument handling costs more than numpy's two passes); momentum, or a lower
    threshold, uses it. The values are the same either way."""
    calls = []
    real = kernels.kernel

    def recording(name):
        fn = real(name)
        if name != "sgd" or fn is None:
            return fn
        return lambda *args: (calls.append(name), fn(*args))
    monkeypatch.setattr(optim.sgd, "kernel", recording)

    def run(**args):
        calls.clear()
        p = layers.Parameter(np.ones(401, np.float32))
        p.grad[...] = 1.0
        optim.SGD([p], lr=0.5, **args).step()
        return len(calls), p.data
    n, data = on("numba", run)
    assert n == 0 and np.array_equal(data, np.full(401, 0.5, np.float32))
    assert on("numba", lambda: run(momentum=0.9))[0] == 1
    monkeypatch.setattr(optim.sgd, "PLAIN_FUSED_MIN", 0)
    n, fused = on("numba", run)
    assert n == 1 and np.array_equal(fused, data)


def test_import_kubik_does_not_import_numba():
    code = ("import sys, kubik, numpy as np; from kubik import layers; "
            "layers.ReLU().forward(np.ones((2, 2), np.float32)); print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "", "KUBIK_BACKEND": "numpy"})
    assert out.stdout.strip() == "False"


def test_backend_switch_and_errors():
    assert kubik.get_backend() in ("numpy", "numba")
    with pytest.raises(ValueError, match="set_backend: backend must be one of numpy, numba, got 'cuda'"):
        kubik.set_backend("cuda")
    previous = kubik.set_backend("numba")
    try:
        assert kubik.get_backend() == "numba" and kernels.kernel("im2col") is not None
        kubik.set_backend("numpy")
        assert kernels.kernel("im2col") is None
    finally:
        kubik.set_backend(previous)


def test_backward_after_switching_backend_says_so():
    pool = layers.MaxPool2d(2)
    X = np.ones((1, 1, 4, 4), np.float32)
    on("numba", lambda: pool.forward(X))
    with pytest.raises(RuntimeError, match="forward ran on the numba backend"):
        on("numpy", lambda: pool.backward(np.ones((1, 1, 2, 2), np.float32)))


@pytest.mark.parametrize("num_layers,bidirectional,dtype", [(1, False, np.float32), (2, True, np.float32),
                                                            (1, True, np.float64)])
def test_lstm_backward_step_bitwise(num_layers, bidirectional, dtype):
    X = np.random.default_rng(1).standard_normal((3, 4, 6)).astype(dtype)

    def run():
        lstm = layers.LSTM(6, 5, num_layers=num_layers, bidirectional=bidirectional, rng=0, dtype=dtype)
        Y = lstm.forward(X)
        dX = lstm.backward(np.random.default_rng(2).standard_normal(Y.shape).astype(dtype))
        return [Y, dX, lstm.grad_h0, lstm.grad_c0] + [p.grad.copy() for p in lstm.parameters()]
    out = both(run)
    assert np.abs(out[1]).sum() > 0 and np.abs(out[-1]).sum() > 0   # gradients really flowed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_col2im_vector_adds_every_row_length(dtype):
    """The compiled col2im adds rows 8, then 4 elements at a time, then the 0-3 left
    (layers/kernels/vector.py): rows of 1..20 elements (every tail), stride 1 and 2,
    more samples than its block of 8, bitwise the numpy path's adds."""
    from kubik.layers.conv.im2col import Geometry, col2im
    rng = np.random.default_rng(11)
    for width in range(1, 21):
        for stride in (1, 2):
            geo = Geometry((5, width + 2), (2, 3), (1, stride), (0, 1), (1, 1))
            dcols = rng.standard_normal((3, 6, 11) + geo.out_hw).astype(dtype)
            out = both(lambda: [_col2im(col2im, dcols, geo, (3, 11, 5, width + 2))])[0]
            # negative control: one changed column entry (the last of its row inside the image)
            # moves exactly the input pixel it came from (offset (1, 2) reads w = wo·stride + 1)
            wo = min(geo.out_hw[1] - 1, width // stride)
            bumped = dcols.copy()
            bumped[2, 5, 10, 0, wo] += 1
            moved = on("numba", lambda: _col2im(col2im, bumped, geo, (3, 11, 5, width + 2)))
            assert np.argwhere(moved != out).tolist() == [[2, 10, 1, wo * stride + 1]]


def _col2im(col2im, dcols, geo, shape):
    dX = np.zeros(shape, dcols.dtype)
    col2im(dcols, dX, geo)
    return dX


@pytest.mark.parametrize("shape", [(3, 2, 16, 16), (2, 3, 28, 28), (1, 2, 5, 35), (2, 1, 4, 33)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maxpool_2x2_vector_rows_bitwise(shape, dtype):
    """Rows of 8 or more windows run as vector code, 8 windows at a time with an
    overlapping last block (layers/kernels/pool_vector.py): ties, NaN, -0.0, a NaN
    gradient, odd widths, both plane orders, bitwise the numpy path."""
    rng = np.random.default_rng(12)
    X = rng.integers(-1, 2, shape).astype(dtype)
    X.reshape(-1)[rng.integers(0, X.size, 6)] = np.nan
    X.reshape(-1)[rng.integers(0, X.size, 6)] = -0.0
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)   # channel-major planes
    G = rng.standard_normal((shape[0], shape[1], shape[2] // 2, shape[3] // 2)).astype(dtype)
    G.reshape(-1)[:2] = [np.nan, -2.0]   # (an infinite G differs: numpy splits it as G - G·mask)

    def run():
        out = []
        for x in (X, Xt):
            pool = layers.MaxPool2d(2)
            out += [pool.forward(x), pool.backward(G)]
        return out
    with np.errstate(invalid="ignore"):
        Y, dX = both(run)[:2]
    # negative control: raising the last window's loser above its winner moves the maximum
    # and the gradient there (the last window is computed by the overlapping block)
    x = X.copy()
    n, c, h, w = shape[0] - 1, shape[1] - 1, shape[2] // 2 * 2 - 2, shape[3] // 2 * 2 - 2
    x[n, c, h:h + 2, w:w + 2] = [[0, 0], [0, 5]]

    def run2():
        pool = layers.MaxPool2d(2)
        return [pool.forward(x), pool.backward(G)]
    Y2, dX2 = on("numba", run2)
    changed = ~((Y2 == Y) | (np.isnan(Y2) & np.isnan(Y)))
    assert Y2[n, c, -1, -1] == 5 and np.argwhere(changed).tolist() == [[n, c, h // 2, w // 2]]
    assert dX2[n, c, h + 1, w + 1] == G[n, c, -1, -1] and (dX2[n, c, h, w] == 0 or np.isnan(dX2[n, c, h, w]))
