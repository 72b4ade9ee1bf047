"""nets.DataLoader: batches, a seeded order that changes every epoch, exact
save / load of its state, and clear errors."""
import numpy as np
import pytest

from kubik import layers, nets


def epochs(loader, k):
    return [[yb.tolist() for _, yb in loader] for _ in range(k)]


def test_batches_cover_every_sample_once_per_epoch():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    loader = nets.DataLoader(X, y, batch_size=4, shuffle=True, rng=0)
    assert len(loader) == 3
    batches = list(loader)
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(10))
    for xb, yb in batches:                      # X and y stay paired; batches are copies
        assert np.array_equal(xb[:, 0], 2 * yb)
    batches[0][0][:] = -1
    assert X.min() == 0


def test_order_is_reproducible_and_differs_between_epochs():
    X, y = np.zeros((50, 3)), np.arange(50)
    a = epochs(nets.DataLoader(X, y, batch_size=8, shuffle=True, rng=np.random.default_rng(5)), 3)
    b = epochs(nets.DataLoader(X, y, batch_size=8, shuffle=True, rng=np.random.default_rng(5)), 3)
    assert a == b
    assert a[0] != a[1] != a[2]
    c = epochs(nets.DataLoader(X, y, batch_size=8, shuffle=True, rng=6), 1)
    assert c[0] != a[0]
    # the first epoch's order is rng.permutation(n), batches are its consecutive slices
    perm = np.random.default_rng(5).permutation(50)
    assert a[0][0] == perm[:8].tolist()


def test_package_seed_drives_a_loader_without_rng():
    X, y = np.zeros((30, 1)), np.arange(30)
    layers.seed(3)
    a = epochs(nets.DataLoader(X, y, batch_size=7, shuffle=True), 2)
    layers.seed(3)
    b = epochs(nets.DataLoader(X, y, batch_size=7, shuffle=True), 2)
    assert a == b


def test_no_shuffle_drop_last_images_and_x_alone():
    X = np.random.default_rng(0).standard_normal((11, 1, 4, 4)).astype(np.float32)
    y = np.arange(11)
    loader = nets.DataLoader(X, y, batch_size=5, drop_last=True)
    assert len(loader) == 2
    out = list(loader)
    assert [b[1].tolist() for b in out] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert out[0][0].shape == (5, 1, 4, 4) and out[0][0].dtype == np.float32
    xs = list(nets.DataLoader(X, batch_size=4))
    assert [x.shape[0] for x in xs] == [4, 4, 3] and np.array_equal(xs[2], X[8:])
    seq = nets.DataLoader(np.zeros((3, 7, 2)), np.zeros((3, 7), np.int64), batch_size=1)   # sequences
    assert len(list(seq)) == 3


def test_state_saves_and_loads_mid_epoch():
    X, y = np.zeros((40, 2)), np.arange(40)
    ref = nets.DataLoader(X, y, batch_size=6, shuffle=True, rng=1)
    expected = epochs(ref, 3)
    cut = nets.DataLoader(X, y, batch_size=6, shuffle=True, rng=1)
    first = []
    for i, (_, yb) in enumerate(cut):          # stop after 3 of the 7 batches
        first.append(yb.tolist())
        if i == 2:
            break
    state = cut.state_dict()
    assert state["pos"] == 3 and state["epoch"] == 0 and len(state["order"]) == 40
    again = nets.DataLoader(X, y, batch_size=6, shuffle=True, rng=99)
    again.load_state_dict(state)
    rest = [yb.tolist() for _, yb in again]
    assert first + rest == expected[0]
    assert epochs(again, 2) == expected[1:]
    assert again.epoch == 3


@pytest.mark.parametrize("bs", [0, -1, 1.5, True, "4"])
def test_bad_batch_size(bs):
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1, got"):
        nets.DataLoader(np.zeros((4, 1)), np.zeros(4), batch_size=bs)


def test_length_mismatch_and_bad_state():
    with pytest.raises(ValueError, match="X has 5 samples but y has 4"):
        nets.DataLoader(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="larger than the 3 samples and drop_last"):
        nets.DataLoader(np.zeros((3, 2)), np.zeros(3), batch_size=4, drop_last=True)
    loader = nets.DataLoader(np.zeros((5, 2)), np.zeros(5), batch_size=2)
    with pytest.raises(ValueError, match="saved order must be 5 sample indices"):
        loader.load_state_dict({"order": np.arange(4), "pos": 0})
    with pytest.raises(ValueError, match="saved order"):
        loader.load_state_dict({"order": np.array([0, 1, 2, 3, 9]), "pos": 0})
    with pytest.raises(ValueError, match=r"saved position must be an integer in \[0, 3\]"):
        loader.load_state_dict({"order": None, "pos": 4})
