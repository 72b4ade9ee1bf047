"""layer.spec(): a net built in Python as a config's model list, and back.

Every registered layer's gradcheck cases (tests/cases_*.py) go through
spec() -> YAML text -> the config's model builder, and must give the same
state_dict keys, shapes and, with the weights loaded, the same outputs."""
import importlib
import pathlib

import numpy as np
import pytest
import yaml

from kubik import layers, losses, nets
from kubik.nets import from_spec


def _cases():
    out = []
    for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
        for name, entries in getattr(importlib.import_module(path.stem), "LAYER_CASES", {}).items():
            out += [(name, case, factory) for case, factory in entries]
    return out


def _round_trip(net, X):
    spec = yaml.safe_load(yaml.safe_dump({"model": net.spec()}))["model"]
    Xs = X if isinstance(X, tuple) else (X,)                  # a merge layer: several inputs
    again = from_spec(spec, [x.shape[1:] for x in Xs] if isinstance(X, tuple) else X.shape[1:])
    state = net.state_dict()
    dtypes = {v.dtype for v in state.values() if v.dtype.kind == "f"}
    if dtypes and dtypes != {np.dtype(np.float32)}:
        again.astype(dtypes.pop())
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in state.items()}
    again.load_state_dict(state)
    net.eval(), again.eval()
    ys, want = again.forward(*Xs), net.forward(*Xs)
    for y, w in zip(ys if isinstance(ys, tuple) else (ys,), want if isinstance(want, tuple) else (want,)):
        np.testing.assert_array_equal(y, w)          # every output of a net with several
    return spec


@pytest.mark.parametrize("name,case,factory", _cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_registered_layer_round_trips(name, case, factory):
    layer, X = factory()[:2]
    _round_trip(layer, X)


def test_every_registered_layer_has_a_case():
    names = {n for n, _, _ in _cases()}
    canonical = {n for n, c in layers.LAYERS.items() if c.__name__ == n}
    assert canonical <= names


def test_a_chain_that_starts_with_a_merge_layer_round_trips():
    rng = np.random.default_rng(0)
    net = nets.Sequential(layers.Concatenate(), layers.Linear(7, 3, rng=0), layers.ReLU())
    spec = _round_trip(net, (rng.standard_normal((2, 3)), rng.standard_normal((2, 4))))
    assert spec[0] == "Concatenate" and spec[1]["Linear"]["in_features"] == 7
    from kubik.nets.config import ConfigError
    with pytest.raises(ConfigError, match=r"model\[0\]\.Add: does not fit its input \(3,\), \(4,\) from the data: "
                                          r"inputs must have the same shape"):
        from_spec(["Add", {"Linear": {"out_features": 2}}], [(3,), (4,)])


def test_nested_containers_and_append():
    rng = np.random.default_rng(0)
    net = nets.Sequential(layers.Conv2d(1, 4, 3, padding=1, rng=rng), layers.ReLU())
    net.append(nets.Residual(nets.Sequential(layers.Conv2d(4, 4, 3, padding=1), layers.BatchNorm2d(4)),
                             projection=layers.Conv2d(4, 4, 1)))
    net.append(nets.Concat(layers.Identity(), nets.Sequential(layers.Conv2d(4, 2, 1), layers.Tanh()), axis=1))
    net.append(layers.Flatten())
    net.append(layers.Linear(6 * 8 * 8, 10, dtype=np.float32))
    spec = _round_trip(net, rng.standard_normal((3, 1, 8, 8)))
    assert spec[0] == {"Conv2d": {"in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1}}
    assert spec[2]["Residual"]["projection"] == {"Conv2d": {"in_channels": 4, "out_channels": 4, "kernel_size": 1}}
    assert spec[3]["Concat"]["axis"] == 1 and spec[3]["Concat"]["layers"][0] == "Identity"
    assert spec[5] == {"Linear": {"in_features": 384, "out_features": 10, "dtype": "float32"}}


def test_values_become_plain_yaml():
    assert layers.Linear(np.int64(4), 2, bias=np.bool_(False)).spec() == \
        {"Linear": {"in_features": 4, "out_features": 2, "bias": False}}
    assert layers.Reshape(1, 8, 8).spec() == {"Reshape": [1, 8, 8]}
    assert layers.MaxPool2d((2, 2)).spec() == {"MaxPool2d": {"kernel_size": [2, 2]}}
    assert layers.ReLU().spec() == "ReLU" and layers.Dropout(0.3, rng=5).spec() == {"Dropout": {"p": 0.3}}
    assert losses.CrossEntropy(label_smoothing=0.1).spec() == {"CrossEntropy": {"label_smoothing": 0.1}}


class Scaled(layers.Layer):          # a user's layer, not registered
    def __init__(self, factor=2.0):
        super().__init__()
        self.factor = factor

    def forward(self, X):
        return X * self.factor

    def backward(self, G):
        return G * self.factor


class TableShift(layers.Layer):      # registered in the test (not for good: test_gradcheck_all wants a case)
    def __init__(self, table):
        super().__init__()
        self.add_buffer("table", table)

    def forward(self, X):
        return X + self.table

    def backward(self, G):
        return G


def test_what_cannot_be_written_names_the_layer_and_the_argument():
    net = nets.Sequential(layers.Linear(3, 3), nets.Residual(nets.Sequential(layers.ReLU(), Scaled())))
    with pytest.raises(layers.SpecError, match=r"layer '1\.block\.1' \(Scaled\): Scaled is not a registered layer"):
        net.spec()
    net = nets.Sequential(layers.Linear(3, 3), TableShift(np.zeros(3)))
    layers.register(TableShift)
    try:
        with pytest.raises(layers.SpecError, match=r"layer '1' \(TableShift\): argument 'table' is an array of "):
            net.spec()
    finally:
        layers.LAYERS._table.pop("TableShift")
    with pytest.raises(ValueError, match=r"argument 'comm'"):   # a SpecError is a ValueError
        nets.SyncBatchNorm(4, comm=object()).spec()
    bare = layers.Linear.__new__(layers.Linear)
    with pytest.raises(layers.SpecError, match="no constructor arguments recorded"):
        bare.spec()


def test_a_subclass_records_its_own_call_not_its_bases():
    class WideLinear(layers.Linear):
        def __init__(self, in_features, width=2):
            super().__init__(in_features, 4 * width)
    layers.register(WideLinear)
    try:
        assert WideLinear(3, width=5).spec() == {"WideLinear": {"in_features": 3, "width": 5}}
    finally:
        layers.LAYERS._table.pop("WideLinear")
