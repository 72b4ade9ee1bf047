"""``layers.testing.check_layer``: every built-in layer passes it, and each
check catches the mistake it is there for (negative controls)."""
import numpy as np
import pytest

from kubik import layers, nets  # noqa: F401  (nets registers the containers)
from kubik.layers.testing import LayerCheckError, check_layer
from kubik.nets.gradcheck_all import layer_example

BUILTIN = [name for name, cls in layers.LAYERS.items() if cls.__name__ == name and cls.__module__.startswith("kubik.")]


def test_every_builtin_layer_is_listed():
    assert {"Linear", "Conv2d", "BatchNorm2d", "LayerNorm", "Residual", "Concat", "Dropout", "GELU"} <= set(BUILTIN)


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_layer_conforms(name):
    layers.seed(0)
    layer, X = layer_example(layers.LAYERS.get(name))
    assert layer is not None, X
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    if isinstance(X, tuple):                                   # a merge layer: several inputs
        result = check_layer(layer, tuple(x.shape for x in X))
    else:
        result = check_layer(layer, X=X) if X.dtype.kind in "iu" else check_layer(layer, X.shape)
    assert result.ok and result.checked > 0
    after = layer.state_dict()                                 # the layer passed in is left alone
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert layer.weight.data.dtype == np.float32 if hasattr(layer, "weight") and layer.weight is not None else True


class Square(layers.Layer):
    """Y = X², dX = 2 X G (``wrong`` forgets the 2)."""

    def __init__(self, wrong=False):
        super().__init__()
        self.wrong = wrong

    def forward(self, X):
        self._X = X
        return X * X

    def backward(self, G):
        X = self._cached("_X")
        return G * X if self.wrong else 2 * G * X


class Scale(layers.Layer):
    """Y = X ⊙ w over the last axis; the flags break one rule each."""

    def __init__(self, n=4, assign=False, no_shape_check=False, upcast=False, shared_state=False):
        super().__init__()
        self.n, self.assign, self.no_shape_check, self.upcast = n, assign, no_shape_check, upcast
        self.shared_state = shared_state
        self.add_parameter("weight", np.linspace(0.5, 1.5, n).astype(np.float32))

    def output_shape(self, s):
        if len(s) != 1 or s[0] != self.n:
            raise self._shape_error(f"(N, {self.n})", s)
        return tuple(s)

    def forward(self, X):
        if not self.no_shape_check and (X.ndim != 2 or X.shape[1] != self.n):
            raise self._shape_error(f"(N, {self.n})", X)
        self._X = X
        Y = X * self.weight.data
        return Y.astype(np.float64) if self.upcast else Y

    def backward(self, G):
        X = self._cached("_X")
        g = (G * X).sum(0)
        if self.assign:
            self.weight.grad[...] = g          # overwrites instead of accumulating
        else:
            self.weight.grad += g
        return G * self.weight.data

    def state_dict(self):
        if self.shared_state:
            return {"weight": self.weight.data}    # not a copy
        return super().state_dict()


def test_correct_custom_layers_pass():
    check_layer(Square(), (3, 5))
    check_layer(Scale(), (3, 4))


@pytest.mark.parametrize("layer, words", [
    (Square(wrong=True), "gradcheck"),
    (Scale(assign=True), "accumulate"),
    (Scale(no_shape_check=True), "input shape"),
    (Scale(upcast=True), "float32 must stay float32"),
    (Scale(shared_state=True), "state_dict"),
])
def test_negative_controls(layer, words):
    with pytest.raises(LayerCheckError, match=words):
        check_layer(layer, (3, 4))


def test_train_eval_and_batch_of_one_controls():
    class NoModes(Scale):
        def train(self, mode=True):
            return None

    class BatchCoupled(Square):
        def forward(self, X):
            self._X = X
            return X * X + X.mean()

        def backward(self, G):
            X = self._cached("_X")
            return 2 * G * X + G.sum() / X.size

    with pytest.raises(LayerCheckError, match="train/eval"):
        check_layer(NoModes(), (3, 4))
    with pytest.raises(LayerCheckError, match="batch of 1"):
        check_layer(BatchCoupled(), (3, 4))


def test_bad_input_shape_argument():
    with pytest.raises(ValueError, match="N >= 2"):
        check_layer(Square(), (1, 4))
