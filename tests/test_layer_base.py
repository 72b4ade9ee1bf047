"""The Layer/Parameter contract: parameters, state, modes, dtypes, errors, registry."""
import numpy as np
import pytest

from kubik import layers
from kubik import nets
from kubik.layers import LAYERS, Linear, Parameter


def net():
    return nets.Sequential(Linear(4, 5, rng=0), layers.ReLU(), layers.Dropout(0.2), Linear(5, 3, rng=1))


def test_named_parameters_weight_first_and_dotted():
    assert [n for n, _ in net().named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert [n for n, _ in Linear(2, 2, bias=False).named_parameters()] == ["weight"]


def test_parameter_grad_matches_data():
    p = Parameter(np.ones((2, 3), np.float32))
    assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
    with pytest.raises(TypeError, match="floating"):
        Parameter(np.ones(3, dtype=int))


def test_gradients_accumulate_until_zero_grad():
    lin = Linear(3, 2, rng=0)
    X, G = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    lin.forward(X); lin.backward(G)
    once = lin.weight.grad.copy()
    lin.forward(X); lin.backward(G)
    np.testing.assert_allclose(lin.weight.grad, 2 * once)
    lin.zero_grad()
    assert not lin.weight.grad.any() and not lin.bias.grad.any()


def test_state_dict_returns_copies():
    n = net()
    sd = n.state_dict()
    n[0].weight.data += 1
    assert not np.array_equal(sd["0.weight"], n[0].weight.data)


def test_load_state_dict_round_trip_and_checks():
    a, b = net(), nets.Sequential(Linear(4, 5, rng=7), layers.ReLU(), layers.Dropout(0.2), Linear(5, 3, rng=8))
    b.load_state_dict(a.state_dict())
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    good = a.state_dict()
    bad_shape = dict(good, **{"3.bias": np.zeros(4, np.float32)})
    before = b.state_dict()
    with pytest.raises(ValueError, match=r"'3.bias' has shape \(4,\), expected \(3,\)"):
        b.load_state_dict(bad_shape)
    with pytest.raises(ValueError, match="dtype float64, expected float32"):
        b.load_state_dict(dict(good, **{"0.bias": good["0.bias"].astype(np.float64)}))
    with pytest.raises(ValueError, match=r"missing keys \['3.bias'\]"):
        b.load_state_dict({k: v for k, v in good.items() if k != "3.bias"})
    with pytest.raises(ValueError, match=r"unexpected keys \['extra'\]"):
        b.load_state_dict(dict(good, extra=np.zeros(1)))
    # a refused load changes nothing (the valid entries were not half-applied)
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_train_eval_propagate():
    n = net()
    assert n.eval() is n and not any(m.training for m in n)
    n.train()
    assert all(m.training for m in n) and n.training


def test_astype_float64_and_back():
    n = net().astype(np.float64)
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in n.parameters())
    Y = n.forward(np.ones((2, 4)))
    assert Y.dtype == np.float64
    n.astype(np.float32)
    assert n.forward(np.ones((2, 4), np.float32)).dtype == np.float32


CORE = [Linear(4, 2), layers.ReLU(), layers.LeakyReLU(), layers.ELU(), layers.Sigmoid(), layers.Tanh(),
        layers.Softplus(), layers.GELU(), layers.GELU("tanh"), layers.Softmax(), layers.LogSoftmax(),
        layers.Dropout(0.5), layers.Identity(), layers.Flatten(), layers.Reshape(2, 2)]


@pytest.mark.parametrize("layer", CORE, ids=repr)
def test_float32_stays_float32(layer):
    X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    Y = layer.forward(X)
    assert Y.dtype == np.float32
    assert layer.backward(np.ones_like(Y)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


@pytest.mark.parametrize("layer", [Linear(3, 2), layers.ReLU(), layers.Sigmoid(), layers.Tanh(), layers.Softmax(),
                                   layers.LogSoftmax(), layers.GELU(), layers.ELU(), layers.LeakyReLU(),
                                   layers.Softplus(), layers.Dropout(0.5), layers.Flatten(), layers.Identity(),
                                   layers.Reshape(3)], ids=repr)
def test_backward_before_forward_is_a_clear_error(layer):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((2, 3), np.float32))


def test_wrong_input_width_names_layer_and_both_shapes():
    with pytest.raises(ValueError) as e:
        Linear(64, 10).forward(np.zeros((8, 63), np.float32))
    msg = str(e.value)
    assert "Linear(in_features=64" in msg and "(N, 64)" in msg and "(8, 63)" in msg


def test_sequential_says_which_child_failed():
    with pytest.raises(ValueError, match=r"^Sequential\[3\]: Linear\(in_features=5.*got \(2, 4\)"):
        nets.Sequential(Linear(4, 4), layers.ReLU(), layers.Identity(), Linear(5, 3)).forward(np.zeros((2, 4), np.float32))


def test_output_shape_inference():
    n = nets.Sequential(layers.Flatten(), Linear(12, 7), layers.ReLU(), layers.Reshape(7, 1))
    assert n.output_shape((3, 2, 2)) == (7, 1)
    assert Linear.infer_args((3, 2, 2)) == {"in_features": 2}
    with pytest.raises(ValueError, match=r"Sequential\[1\].*\(3, 2, 2\)|Sequential\[1\].*12"):
        nets.Sequential(layers.Identity(), Linear(12, 7)).output_shape((3, 2, 2))


def test_constructor_argument_errors():
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="Dropout: p must be a probability"):
        layers.Dropout(1.5)
    with pytest.raises(ValueError, match="GELU: approximate"):
        layers.GELU("sigmoid")


def test_registry_lookup_and_suggestion():
    assert LAYERS.get("Linear") is Linear
    with pytest.raises(ValueError) as e:
        LAYERS.get("Linaer")
    assert "did you mean 'Linear'?" in str(e.value) and "known:" in str(e.value) and "ReLU" in str(e.value)
    with pytest.raises(ValueError, match="did you mean 'ReLU'"):
        LAYERS.get("relu")


def test_registry_refuses_a_second_class_under_a_taken_name():
    reg = layers.Registry("thing")

    @reg.register
    class A:
        pass

    with pytest.raises(ValueError, match="already taken"):
        reg.register(type("B", (), {}), name="A")


def test_seed_makes_init_reproducible():
    layers.seed(123)
    a = Linear(5, 4).weight.data.copy()
    layers.seed(123)
    np.testing.assert_array_equal(a, Linear(5, 4).weight.data)
    assert not np.array_equal(a, Linear(5, 4).weight.data)
    np.testing.assert_array_equal(Linear(5, 4, rng=3).weight.data, Linear(5, 4, rng=np.random.default_rng(3)).weight.data)


def test_repr_lists_numbered_layers_with_parameter_shapes():
    text = repr(net())
    assert "(0): Linear(in_features=4, out_features=5, bias=True)" in text
    assert "weight (4, 5), bias (5,)" in text and "(2): Dropout(p=0.2)" in text


def test_lazy_zero_grad_reads_as_zeros_and_accumulates_correctly():
    lin = Linear(3, 2, rng=0)
    X, G = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    lin.forward(X); lin.backward(G)
    first = lin.weight.grad.copy()
    lin.zero_grad()
    assert not lin.weight.grad.any()                  # reading gives zeros
    lin.zero_grad()
    lin.forward(X); lin.backward(G)                   # first product written in place
    np.testing.assert_array_equal(lin.weight.grad, first)
    lin.forward(X); lin.backward(G)                   # then accumulated
    np.testing.assert_allclose(lin.weight.grad, 2 * first)
    p = Parameter(np.ones(3, np.float32))
    p.grad += 2
    p.zero_grad()
    p.grad += 1                                       # += on a pending zero starts from zero
    np.testing.assert_array_equal(p.grad, [1, 1, 1])


def test_propagate_down_false_skips_input_gradient_but_not_parameter_gradients():
    a = nets.Sequential(Linear(4, 3, rng=0), layers.Tanh(), Linear(3, 2, rng=1))
    b = nets.Sequential(Linear(4, 3, rng=0), layers.Tanh(), Linear(3, 2, rng=1)).set_propagate_down(False)
    X, G = np.ones((5, 4), np.float32), np.ones((5, 2), np.float32)
    a.forward(X); b.forward(X)
    assert a.backward(G).shape == (5, 4)
    assert b.backward(G) is None and not b[0].propagate_down and b[2].propagate_down
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad)


def test_buffers_keep_their_shape_and_integer_counters_survive_astype():
    bn = layers.BatchNorm1d(3)
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    bn.astype(np.float64)
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    assert bn.state_dict()["num_batches_tracked"].shape == ()


# ---- arrays that are not numbers are refused, naming the layer (issue 29) ----------------------

NON_NUMBERS = {
    "Python objects": np.array([[None] * 4] * 2),
    "strings": np.array([["1.0"] * 4] * 2),
    "bytes": np.array([[b"1"] * 4] * 2),
    "dates": np.array([["2020-01-01"] * 4] * 2, "M8[D]"),
    "time spans": np.array([[1] * 4] * 2, "m8[s]"),
}


@pytest.mark.parametrize("kind", sorted(NON_NUMBERS))
@pytest.mark.parametrize("make", [lambda: layers.Linear(4, 2), lambda: layers.ReLU(), lambda: layers.Tanh(),
                                  lambda: layers.LayerNorm(4), lambda: nets.Sequential(layers.Linear(4, 2)),
                                  lambda: layers.Dropout(0.5)], ids=["Linear", "ReLU", "Tanh", "LayerNorm",
                                                                     "Sequential", "Dropout"])
def test_arrays_of_non_numbers_are_a_type_error_naming_the_layer(make, kind):
    layer = make()
    with pytest.raises(TypeError, match=f"{type(layer).__name__}: got an array of {kind} \\(dtype "):
        layer.forward(NON_NUMBERS[kind])


def test_numbers_and_booleans_are_taken_and_an_own_layer_gets_the_check():
    assert layers.Linear(4, 2, rng=0).forward(np.ones((2, 4), bool)).dtype == np.float32
    assert layers.Linear(4, 2, rng=0).forward(np.ones((2, 4), np.int16)).dtype == np.float32

    class Mine(layers.Layer):
        """Identity."""
        def forward(self, X):
            return X
    with pytest.raises(TypeError, match="Mine: got an array of Python objects"):
        Mine().forward(NON_NUMBERS["Python objects"])
    assert np.isnan(np.array([[None] * 4], float)).all()      # what a silent cast would have given


def test_a_shape_error_on_a_list_shows_its_shape_not_its_values():
    with pytest.raises(ValueError) as e:
        layers.Linear(3, 2).forward(np.ones((5000, 4)).tolist())
    assert str(e.value).endswith("expected input of shape (N, 3), got (5000, 4)") and len(str(e.value)) < 200


def test_shared_copy_shares_parameters_and_keeps_its_own_cache():
    """Layer.shared(): a Linear used twice in one forward (a Siamese pair) gives the summed
    gradient of both uses, and each use backpropagates through its own cached input."""
    from kubik import layers
    rng = np.random.default_rng(0)
    a = layers.Linear(3, 2, dtype=np.float64)
    b = a.shared()
    assert b is not a and b.weight is a.weight and b.bias is a.bias
    X1, X2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    G1, G2 = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    a.forward(X1)
    b.forward(X2)                  # would overwrite a's cache if it were the same object
    a.zero_grad()
    a.backward(G1)
    b.backward(G2)
    np.testing.assert_allclose(a.weight.grad, X1.T @ G1 + X2.T @ G2, rtol=1e-12)
    np.testing.assert_allclose(a.bias.grad, G1.sum(0) + G2.sum(0), rtol=1e-12)


def test_shared_copy_shares_buffers_and_mode():
    from kubik import layers
    bn = layers.BatchNorm1d(3).eval()
    twin = bn.shared()
    assert twin.running_mean is bn.running_mean and not twin.training
