"""Residual and Concat: values by hand, naming, shape inference, errors, nesting."""
import numpy as np
import pytest

from kubik import layers
from kubik import nets
from kubik.layers import BatchNorm2d, Conv2d, Identity, Linear, ReLU
from kubik.nets import Concat, Residual, Sequential


def _linear(W, b):
    lin = Linear(*np.shape(W), dtype=np.float64)
    lin.weight.data[...] = W
    lin.bias.data[...] = b
    return lin


def test_residual_by_hand():
    res = Residual(_linear([[1, 0], [2, 1]], [0, 1]))
    X = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(res.forward(X), [[1 + 5, 2 + 3]])       # X + (X W + b)
    dX = res.backward(np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(dX, [[1 + 1, 1 + 3]])                   # G + G Wᵀ
    np.testing.assert_allclose(res.block.weight.grad, [[1, 1], [2, 2]])


def test_residual_with_projection_names_and_shapes():
    block = Sequential(Conv2d(2, 4, 3, stride=2, padding=1, rng=0), BatchNorm2d(4), ReLU(),
                       Conv2d(4, 4, 3, padding=1, rng=1))
    res = Residual(block, projection=Conv2d(2, 4, 1, stride=2, rng=2))
    assert [n for n, _ in res.named_parameters()] == [
        "block.0.weight", "block.0.bias", "block.1.weight", "block.1.bias", "block.3.weight", "block.3.bias",
        "projection.weight", "projection.bias"]
    assert "block.1.running_mean" in res.state_dict()
    assert res.output_shape((2, 8, 8)) == (4, 4, 4)
    X = np.random.default_rng(0).standard_normal((2, 2, 8, 8)).astype(np.float32)
    Y = res.forward(X)
    assert Y.shape == (2, 4, 4, 4) and Y.dtype == np.float32
    assert res.backward(np.ones_like(Y)).shape == X.shape
    res.eval()
    assert not block[1].training


def test_residual_shape_mismatch_is_reported():
    res = Residual(Linear(4, 3))
    with pytest.raises(ValueError, match=r"Residual: the block's output shape \(3,\) differs from the skip path's "
                                         r"\(4,\).*add a projection"):
        res.output_shape((4,))
    with pytest.raises(ValueError, match=r"\(2, 3\) differs from the skip path's \(2, 4\)"):
        res.forward(np.zeros((2, 4), np.float32))


def test_errors_inside_branches_name_the_branch():
    res = Residual(Sequential(Linear(4, 4), ReLU()))
    with pytest.raises(ValueError, match=r"Residual\[block\]: Sequential\[0\].*Linear.*\(N, 4\), got \(2, 3\)"):
        res.forward(np.zeros((2, 3), np.float32))
    cat = Concat(Linear(4, 2), Linear(3, 2))
    with pytest.raises(ValueError, match=r"Concat\[1\].*Linear\(in_features=3.*got \(2, 4\)"):
        cat.forward(np.zeros((2, 4), np.float32))
    outer = Sequential(Linear(4, 4), cat)
    with pytest.raises(ValueError, match=r"Sequential\[1\]: Concat\[1\]: Linear"):
        outer.output_shape((4,))
    with pytest.raises(RuntimeError, match=r"^Concat: backward called before forward"):
        Concat(Linear(2, 2)).backward(np.zeros((1, 2)))
    with pytest.raises(RuntimeError, match=r"^Residual: backward called before forward"):
        Residual(Linear(2, 2)).backward(np.zeros((1, 2)))


def test_concat_by_hand_and_gradient_split():
    cat = Concat(_linear([[1.0], [1.0]], [0.0]), Identity())
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(cat.forward(X), [[3, 1, 2], [7, 3, 4]])
    G = np.array([[1.0, 10.0, 20.0], [2.0, 30.0, 40.0]])
    G_before = G.copy()
    dX = cat.backward(G)
    np.testing.assert_allclose(dX, [[1 + 10, 1 + 20], [2 + 30, 2 + 40]])   # Σ of the branches' dX
    np.testing.assert_array_equal(G, G_before)                            # G is never written to
    assert [n for n, _ in cat.named_parameters()] == ["0.weight", "0.bias"]


def test_concat_identity_first_does_not_alias_gradient():
    cat = Concat(Identity(), Identity(), Identity(), axis=-1)
    G = np.arange(6.0).reshape(1, 6)
    cat.forward(np.zeros((1, 2)))
    np.testing.assert_allclose(cat.backward(G), [[0 + 2 + 4, 1 + 3 + 5]])
    np.testing.assert_array_equal(G, np.arange(6.0).reshape(1, 6))


def test_concat_channels_shape_inference_and_errors():
    cat = Concat(Conv2d(3, 4, 1), Sequential(Conv2d(3, 2, 3, padding=1), ReLU()), layers.MaxPool2d(3, 1, 1))
    assert cat.output_shape((3, 8, 8)) == (9, 8, 8)
    Y = cat.forward(np.zeros((2, 3, 8, 8), np.float32))
    assert Y.shape == (2, 9, 8, 8)
    assert cat.backward(np.ones_like(Y)).shape == (2, 3, 8, 8)
    bad = Concat(Conv2d(3, 4, 1), Conv2d(3, 4, 3))
    with pytest.raises(ValueError, match=r"Concat: branch outputs must agree.*\[0\] \(4, 8, 8\), \[1\] \(4, 6, 6\)"):
        bad.output_shape((3, 8, 8))
    with pytest.raises(ValueError, match=r"\[0\] \(1, 4, 8, 8\), \[1\] \(1, 4, 6, 6\)"):
        bad.forward(np.zeros((1, 3, 8, 8), np.float32))
    with pytest.raises(ValueError, match="axis 0"):
        Concat(Identity(), axis=0).forward(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="at least one branch"):
        Concat()
    assert Concat(Identity(), Identity(), axis=-1).output_shape((2, 3)) == (2, 6)


def test_nested_in_sequential_small_resnet_trains_one_step():
    net = Sequential(
        Conv2d(1, 4, 3, padding=1, rng=0), ReLU(),
        Residual(Sequential(Conv2d(4, 4, 3, padding=1, rng=1), BatchNorm2d(4), ReLU())),
        Concat(Identity(), Conv2d(4, 2, 1, rng=2)),
        layers.GlobalAvgPool2d(), Linear(6, 3, rng=3))
    assert net.output_shape((1, 6, 6)) == (3,)
    X = np.random.default_rng(0).standard_normal((4, 1, 6, 6))
    result = layers.gradcheck(net, X)
    assert result.ok, str(result)
    net.set_propagate_down(False)
    net.forward(X.astype(np.float32))
    assert net.backward(np.ones((4, 3), np.float32)) is None


def test_propagate_down_false_returns_none():
    for c in (Residual(Linear(2, 2)), Concat(Linear(2, 2), Identity())):
        c.set_propagate_down(False)
        Y = c.forward(np.ones((1, 2), np.float32))
        assert c.backward(np.ones_like(Y)) is None
        assert all(not child.propagate_down for child in c.children())


def test_registered_and_repr():
    assert layers.LAYERS.get("Residual") is Residual and layers.LAYERS.get("Concat") is Concat
    text = repr(Residual(Linear(2, 2), projection=Identity()))
    assert "(block): Linear" in text and "(projection): Identity" in text
    assert repr(Concat(Identity(), axis=2)).startswith("Concat(axis=2,")
    assert nets.Residual is Residual
