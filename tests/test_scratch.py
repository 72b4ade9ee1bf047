"""Recycled output arrays (layers/runtime/scratch.py): reused only when nobody holds them."""
import copy

import numpy as np
import pytest

from kubik import layers
from kubik.layers.runtime.scratch import Recycler, recycled


def test_free_array_is_reused_held_one_is_not():
    r = Recycler()
    a = r.get("y", (256, 512), np.float32)
    a_id = id(a)
    del a
    assert id(r.get("y", (256, 512), np.float32)) == a_id        # nobody held it: reused
    held = r.get("y", (256, 512), np.float32)
    held[...] = 7
    other = r.get("y", (256, 512), np.float32)
    assert other is not held
    other[...] = 1
    assert (held == 7).all()


def test_a_view_protects_its_base():
    r = Recycler()
    view = r.get("y", (256, 512), np.float32)[10:20].T
    view[...] = 3
    for _ in range(4):
        r.get("y", (256, 512), np.float32)[...] = 0
    assert (view == 3).all()


def test_alternates_two_arrays_in_a_training_loop():
    r, cached, ids = Recycler(), None, set()
    for _ in range(6):
        y = r.get("y", (256, 512), np.float32)
        ids.add(id(y))
        cached = y                 # the next layer caches the output for its backward
        del y
    assert len(ids) == 2 and cached is not None


def test_zero_layout_small_and_copy():
    r = Recycler()
    X = np.ones((8, 64, 32, 32), np.float32).transpose(1, 0, 2, 3)   # channel-major, as a conv output
    z = r.get("z", None, np.float32, like=X, zero=True)
    assert z.strides == X.strides and z.shape == X.shape and not z.any()
    z[...] = 5
    del z
    assert not r.get("z", None, np.float32, like=X, zero=True).any()  # reused and zeroed again
    assert r.get("s", (4, 4), np.float64).dtype == np.float64
    assert "s" not in r._pools                                       # below MIN_BYTES: never pooled
    assert copy.deepcopy(r)._pools == {}


@pytest.mark.parametrize("make,shape", [(layers.ReLU, (64, 8, 28, 28)), (lambda: layers.MaxPool2d(2), (64, 8, 28, 28)),
                                        (lambda: layers.Conv2d(8, 8, 3, padding=1, rng=0), (16, 8, 28, 28)),
                                        (lambda: layers.LSTM(16, 64, num_layers=2, bidirectional=True, rng=0),
                                         (32, 20, 16))])
def test_layer_outputs_held_by_the_caller_stay_intact(make, shape):
    layer = make()
    rng = np.random.default_rng(0)
    X1, X2, X3 = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    Y1 = layer.forward(X1)
    ref1 = Y1.copy()
    G = np.ones_like(Y1)
    dX1 = layer.backward(G)
    dref1 = dX1.copy()
    for X in (X2, X3, X2):
        layer.forward(X)
        layer.backward(G)
    np.testing.assert_array_equal(Y1, ref1)
    np.testing.assert_array_equal(dX1, dref1)
    fresh = make()   # same initial weights (rng=0)
    np.testing.assert_array_equal(layer.forward(X3), fresh.forward(X3))


def test_recycled_creates_the_pool_lazily():
    layer = layers.Flatten()
    a = recycled(layer, "t", np.float32, shape=(300, 300))
    assert a.shape == (300, 300) and isinstance(layer._recycler, Recycler)
