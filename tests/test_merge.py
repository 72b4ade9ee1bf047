"""Several inputs and several outputs: the Layer base's policy for each input,
the merge layers (hand values, gradchecks, errors naming every shape), gradcheck
and check_layer with tuples, chains of multi-input / multi-output layers, and
negative controls (a merge layer with a wrong backward fails)."""
import numpy as np
import pytest

from kubik import layers, nets
from kubik.layers import Add, Concatenate, GradcheckError, Layer, Multiply
from kubik.layers.testing import LayerCheckError, check_layer


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- hand-computed values ------------------------------------------------------------
def test_add_multiply_concatenate_by_hand():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    b = np.array([[10.0, 20.0], [30.0, 40.0]], np.float32)
    c = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
    G = np.array([[1.0, -1.0], [2.0, 3.0]], np.float32)
    add = Add()
    np.testing.assert_array_equal(add(a, b, c), [[11.5, 21.0], [35.0, 44.0]])
    dA, dB, dC = add.backward(G)
    for d in (dA, dB, dC):
        np.testing.assert_array_equal(d, G)
    mul = Multiply()
    np.testing.assert_array_equal(mul(a, b, c), [[5.0, -40.0], [180.0, 0.0]])
    dA, dB, dC = mul.backward(G)
    np.testing.assert_array_equal(dA, G * b * c)       # [[5, 20], [120, 0]]
    np.testing.assert_array_equal(dA, [[5.0, 20.0], [120.0, 0.0]])
    np.testing.assert_array_equal(dC, G * a * b)       # a zero input is no problem (no division)
    np.testing.assert_array_equal(dB, [[0.5, 2.0], [12.0, 0.0]])
    cat = Concatenate(axis=1)
    Y = cat(a, c[:, :1])
    np.testing.assert_array_equal(Y, [[1.0, 2.0, 0.5], [3.0, 4.0, 2.0]])
    dA, dC = cat.backward(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(dA, [[0.0, 1.0], [3.0, 4.0]])
    np.testing.assert_array_equal(dC, [[2.0], [5.0]])
    assert all(d.dtype == np.float32 for d in (dA, dC)) and Y.dtype == np.float32


def test_concatenate_matches_numpy_on_channels_and_negative_axis():
    X1, X2 = randn(2, 3, 4, 4), randn(2, 5, 4, 4, seed=1)
    np.testing.assert_array_equal(Concatenate()(X1, X2), np.concatenate([X1, X2], axis=1))
    Y1, Y2 = randn(2, 3, 2), randn(2, 3, 5, seed=1)
    np.testing.assert_array_equal(Concatenate(axis=-1)(Y1, Y2), np.concatenate([Y1, Y2], axis=-1))
    assert Concatenate().output_shape((3, 4, 4), (5, 4, 4)) == (8, 4, 4)
    assert Concatenate(axis=-1).output_shape((3, 2), (3, 5)) == (3, 7)
    assert Add().output_shape((3, 4), (3, 4)) == (3, 4) and Multiply().output_shapes((2,), (2,)) == [(2,)]


def test_mixed_precision_inputs_promote_and_gradients_come_back_in_each_inputs_dtype():
    a, b = randn(2, 3).astype(np.float32), randn(2, 3, seed=1)
    for layer in (Add(), Multiply(), Concatenate()):
        Y = layer(a, b)
        assert Y.dtype == np.float64
        dA, dB = layer.backward(np.ones_like(Y))
        assert dA.dtype == np.float32 and dB.dtype == np.float64


# -- gradchecks and check_layer with tuples ------------------------------------------------
@pytest.mark.parametrize("make, shapes", [
    (Add, [(3, 4), (3, 4)]), (Multiply, [(3, 4), (3, 4), (3, 4)]),
    (Concatenate, [(2, 3, 2, 2), (2, 1, 2, 2)]), (lambda: Concatenate(axis=2), [(2, 3, 1), (2, 3, 4)]),
])
def test_merge_layers_pass_gradcheck_and_check_layer(make, shapes):
    Xs = tuple(randn(*s, seed=i) for i, s in enumerate(shapes))
    result = layers.gradcheck(make(), Xs)
    assert result.ok and result.checked == sum(x.size for x in Xs)
    check_layer(make(), tuple(shapes))
    check_layer(make(), X=tuple(x.astype(np.float32) for x in Xs))


def test_gradcheck_reports_which_input_is_wrong():
    class WrongSecond(Add):
        def backward(self, G):
            dA, dB = super().backward(G)
            return dA, 0.5 * dB

    with pytest.raises(GradcheckError, match=r"at input 1\["):
        layers.gradcheck(WrongSecond(), (randn(3, 4), randn(3, 4, seed=1)))


class SwappedMultiply(Multiply):
    """Negative control: dX_i = G * X_i instead of G * X_j."""

    def backward(self, G):
        a, b = self._cached("_Xs")
        return G * a, G * b


def test_negative_control_wrong_merge_backward_fails_gradcheck_and_check_layer():
    Xs = (randn(3, 4), randn(3, 4, seed=1))
    assert layers.gradcheck(Multiply(), Xs).ok
    result = layers.gradcheck(SwappedMultiply(), Xs, raise_on_fail=False)
    assert not result.ok and result.worst_error > 1e-2
    with pytest.raises(LayerCheckError, match="gradcheck"):
        check_layer(SwappedMultiply(), ((3, 4), (3, 4)))


def test_gradcheck_refuses_a_single_gradient_for_several_inputs():
    class OneGrad(Add):
        def backward(self, G):
            return G

    with pytest.raises(GradcheckError, match="must return a tuple of 2 gradients"):
        layers.gradcheck(OneGrad(), (randn(3, 4), randn(3, 4, seed=1)))

    class NoneGrad(Add):
        def backward(self, G):
            return G, None

    with pytest.raises(GradcheckError, match=r"no gradient \(None\) for input 1"):
        layers.gradcheck(NoneGrad(), (randn(3, 4), randn(3, 4, seed=1)))


class Gate(Layer):
    """A test layer with two inputs, two outputs and a parameter (an LSTM-cell-like
    shape of contract): H = tanh(X W + S), C = S * sigmoid(X W)."""
    num_outputs = 2

    def __init__(self, n=3, wrong=False):
        super().__init__()
        self.n, self.wrong = n, wrong
        self.add_parameter("weight", np.random.default_rng(0).standard_normal((n, n)).astype(np.float32) * 0.5)

    def output_shape(self, x_shape, s_shape):
        if tuple(x_shape) != (self.n,) or tuple(s_shape) != (self.n,):
            raise self._shape_error(f"(N, {self.n}) twice", (x_shape, s_shape))
        return (self.n,), (self.n,)

    def forward(self, X, S):
        if X.shape != S.shape or X.shape[1:] != (self.n,):
            raise self._shape_error(f"(N, {self.n}) twice", (X.shape, S.shape))
        Z = X @ self.weight.data
        H, sig = np.tanh(Z + S), 1 / (1 + np.exp(-Z))
        self._cache = (X, S, H, sig)
        return H, S * sig

    def backward(self, GH, GC):
        X, S, H, sig = self._cached("_cache")
        dHpre = GH * (1 - H * H)
        dZ = dHpre + GC * S * sig * (1 - sig)
        self.weight.grad += X.T @ dZ
        dS = dHpre + (GC * sig if not self.wrong else GC)
        return dZ @ self.weight.data.T, dS


def test_several_outputs_gradcheck_with_a_none_gradient_and_check_layer():
    Xs = (randn(4, 3), randn(4, 3, seed=1))
    assert layers.gradcheck(Gate(), Xs).ok
    result = layers.gradcheck(Gate(), Xs, grad_out=(randn(4, 3, seed=5), None))
    assert result.ok and result.checked == 24 + 9
    assert Gate().output_shapes((3,), (3,)) == [(3,), (3,)]
    check_layer(Gate(), ((4, 3), (4, 3)))
    with pytest.raises(LayerCheckError, match="gradcheck"):
        check_layer(Gate(wrong=True), ((4, 3), (4, 3)))
    assert not layers.gradcheck(Gate(wrong=True), Xs, raise_on_fail=False).ok


def test_check_layer_catches_num_outputs_and_input_shape_mistakes():
    class Undeclared(Gate):
        num_outputs = 1

        def output_shape(self, x_shape, s_shape):
            return (self.n,)

    with pytest.raises(LayerCheckError, match="num_outputs is 1"):
        check_layer(Undeclared(), ((4, 3), (4, 3)))

    class LooseConcatenate(Concatenate):     # forgets its check on the second input
        def output_shape(self, *shapes):
            if shapes[1] != shapes[0]:
                raise ValueError(f"{self!r}: shapes differ")
            return super().output_shape(*shapes)

    with pytest.raises(LayerCheckError, match="input shape"):
        check_layer(LooseConcatenate(), ((3, 4), (3, 4)))
    with pytest.raises(ValueError, match="one N"):
        check_layer(Add(), ((3, 4), (2, 4)))


# -- errors ----------------------------------------------------------------------------------
def test_shape_errors_name_the_layer_and_every_inputs_shape():
    with pytest.raises(ValueError, match=r"Add\(\): inputs must have the same shape; got input 0 \(2, 3\), input 1 \(2, 4\)"):
        Add()(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Multiply\(\): inputs must have the same shape; got input 0 \(N, 3\), "
                                         r"input 1 \(N, 3\), input 2 \(N, 4\)"):
        Multiply().output_shape((3,), (3,), (4,))
    with pytest.raises(ValueError, match=r"inputs must agree on every axis but 1; got input 0 \(N, 3, 4\), "
                                         r"input 1 \(N, 5, 5\)"):
        Concatenate().output_shape((3, 4), (5, 5))
    with pytest.raises(ValueError, match=r"same batch size; got input 0 \(2, 3\), input 1 \(3, 3\)"):
        Concatenate()(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="same number of axes"):
        Concatenate()(np.ones((2, 3)), np.ones((2, 3, 1)))
    with pytest.raises(ValueError, match="axis 0 is the batch"):
        Concatenate(axis=0)(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="axis must be an int"):
        Concatenate(axis="1")
    with pytest.raises(TypeError, match=r"Add\(\): needs at least two inputs"):
        Add()(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_Y has shape \(2, 4\), expected \(2, 6\)"):
        cat = Concatenate()
        cat(np.ones((2, 3)), np.ones((2, 3)))
        cat.backward(np.ones((2, 4)))
    for layer in (Add(), Multiply(), Concatenate()):
        with pytest.raises(RuntimeError, match="backward called before forward"):
            layer.backward(np.ones((2, 3)))


def test_input_policy_applies_to_every_positional_input():
    with pytest.raises(ValueError, match=r"Add: got an empty batch \(input 1 of shape \(0, 3\)"):
        Add()(np.ones((2, 3)), np.ones((0, 3)))
    with pytest.raises(ValueError, match=r"Concatenate: got an empty batch \(input 0 of shape \(0, 3\)"):
        Concatenate()(np.ones((0, 3)), np.ones((2, 3)))
    seen = {}

    class Both(Layer):          # has a parameter: every input is cast to its dtype
        def __init__(self):
            super().__init__()
            self.add_parameter("weight", np.ones(3, np.float32))

        def forward(self, X, S, scale=None):
            seen["dtypes"], seen["scale"] = (X.dtype, S.dtype), scale
            return X * self.weight.data + S

        def backward(self, G):
            return G, G

    Y = Both()(np.ones((2, 3)), np.arange(6).reshape(2, 3), scale=np.ones(2, np.int64))
    assert seen["dtypes"] == (np.float32, np.float32) and Y.dtype == np.float32
    assert seen["scale"].dtype == np.int64            # keyword arguments are passed as they are
    with pytest.raises(ValueError, match=r"Both: got an empty batch \(input 1 of shape \(0, 3\)"):
        Both()(np.ones((2, 3)), np.ones((0, 3)))
    # parameter-free layers keep each input's dtype
    a, b = np.ones((2, 3), np.float32), np.ones((2, 3), np.float32)
    assert Add()(a, b).dtype == np.float32
    # a single input still reads as before (no input number in the message)
    with pytest.raises(ValueError, match=r"ReLU: got an empty batch \(input of shape \(0, 3\)"):
        layers.ReLU()(np.ones((0, 3)))


def test_propagate_down_false_returns_no_input_gradients():
    for layer in (Add(), Multiply(), Concatenate()):
        Y = layer.set_propagate_down(False)(np.ones((2, 3)), np.ones((2, 3)))
        assert layer.backward(np.ones_like(Y)) is None


# -- chains of several inputs and outputs ---------------------------------------------------
def test_sequential_passes_several_inputs_and_outputs_along_the_chain():
    net = nets.Sequential(Concatenate(), layers.Linear(5, 2, rng=0), layers.Tanh())
    A, B = randn(4, 2), randn(4, 3, seed=1)
    np.testing.assert_allclose(net(A, B), np.tanh(np.concatenate([A, B], 1).astype(np.float32) @ net[1].weight.data
                                                   + net[1].bias.data), rtol=1e-6)
    assert net.output_shape((2,), (3,)) == (2,)
    result = layers.gradcheck(net, (A, B))
    assert result.ok and result.checked == A.size + B.size + 12
    # a chain whose first layer has two outputs and whose next merges them
    chain = nets.Sequential(Gate(), Add())
    assert chain.output_shape((3,), (3,)) == (3,) and chain.num_outputs == 1
    assert layers.gradcheck(chain, (randn(4, 3), randn(4, 3, seed=1))).ok
    # a chain that ends in a two-output layer takes one gradient per output
    ends = nets.Sequential(Gate())
    assert ends.num_outputs == 2 and ends.output_shape((3,), (3,)) == ((3,), (3,))
    assert layers.gradcheck(ends, (randn(4, 3), randn(4, 3, seed=1)), grad_out=(None, randn(4, 3, seed=2))).ok
    check_layer(nets.Sequential(Concatenate(), layers.Linear(5, 2, rng=0)), ((3, 2), (3, 3)))


def test_registered_and_built_from_a_config_entry():
    assert layers.LAYERS.get("Add") is Add and layers.LAYERS.get("Concatenate") is Concatenate
    assert Concatenate(axis=2).spec() == {"Concatenate": {"axis": 2}}
    assert Add().spec() == "Add" and repr(Concatenate()) == "Concatenate(axis=1)"


def test_kubik_gradcheck_checks_the_merge_layers_with_two_inputs():
    from kubik.nets.gradcheck_all import layer_example, run_all
    lines = []
    assert run_all(["Add", "Multiply", "Concatenate"], out=lines.append) == 0
    assert lines[-1] == "3 passed, 0 failed, 0 skipped"
    assert all(line.startswith("ok    layer") for line in lines[:-1])
    layer, X = layer_example(Concatenate)
    assert isinstance(X, tuple) and len(X) == 2
