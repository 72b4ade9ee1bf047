"""Data loaders on small files the tests write (IDX raw and gzip, npz, csv),
the bundled sets, the synthetic sets, and the seeded splits and scaling."""
import gzip
import struct

import numpy as np
import pytest

from kubik.nets import datasets
from kubik.nets.config import ConfigError


def write_idx(path, array, code=0x08, compress=False):
    array = np.asarray(array)
    header = b"\0\0" + bytes([code, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    dtype = {0x08: ">u1", 0x0D: ">f4", 0x0C: ">i4"}[code]
    blob = header + array.astype(dtype).tobytes()
    path.write_bytes(gzip.compress(blob) if compress else blob)
    return path


def mnist_folder(tmp_path, n_train=12, n_test=5, compress=False, size=4):
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    tr = rng.integers(0, 256, (n_train, size, size))
    te = rng.integers(0, 256, (n_test, size, size))
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", tr, compress=compress)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", np.arange(n_train) % 10, compress=compress)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", te, compress=compress)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", np.arange(n_test) % 10, compress=compress)
    return tr, te


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, compress):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = write_idx(tmp_path / "a.idx", a, compress=compress)
    got = datasets.read_idx(p)
    assert got.shape == (2, 3, 4) and got.dtype == np.uint8 and np.array_equal(got, a)
    f = write_idx(tmp_path / "f.idx", np.array([[1.5, -2.0]]), code=0x0D)
    assert np.array_equal(datasets.read_idx(f), np.array([[1.5, -2.0]], np.float32))


def test_read_idx_refuses_truncated_and_foreign_files(tmp_path):
    p = write_idx(tmp_path / "a.idx", np.zeros((10, 4, 4)))
    p.write_bytes(p.read_bytes()[:-7])
    with pytest.raises(ConfigError, match="truncated"):
        datasets.read_idx(p)
    q = tmp_path / "text.idx"
    q.write_text("hello world")
    with pytest.raises(ConfigError, match="not an IDX file"):
        datasets.read_idx(q)
    with pytest.raises(ConfigError, match="not found"):
        datasets.read_idx(tmp_path / "missing.idx")


@pytest.mark.parametrize("compress", [False, True])
def test_idx_loader_flat_and_image(tmp_path, compress):
    tr, te = mnist_folder(tmp_path, compress=compress)
    raw = datasets.load("idx", path=str(tmp_path))
    assert raw.X.shape == (12, 16) and raw.X_test.shape == (5, 16)
    assert np.array_equal(raw.X, tr.reshape(12, 16)) and list(raw.y[:3]) == [0, 1, 2]
    img = datasets.load("mnist", path=str(tmp_path), image=True)
    assert img.X.shape == (12, 1, 4, 4)
    data = datasets.prepare({"name": "idx", "path": str(tmp_path), "seed": 0, "scale": "max"}, 0.25,
                            {"path": str(tmp_path)})
    assert len(data.X_test) == 5 and len(data.X_val) == 3 and len(data.X_train) == 9   # own test set kept
    assert data.X_train.dtype == np.float32 and data.X_train.max() <= 1.0


def test_idx_loader_says_where_to_put_missing_files(tmp_path):
    with pytest.raises(ConfigError) as e:
        datasets.load("idx", path=str(tmp_path / "nowhere"))
    msg = str(e.value)
    assert "train-images-idx3-ubyte" in msg and "nowhere" in msg and e.value.path == ("data", "path")


def test_npz_loader(tmp_path):
    X = np.random.default_rng(0).standard_normal((20, 3))
    np.savez(tmp_path / "d.npz", feats=X, labels=np.arange(20) % 2)
    raw = datasets.load("npz", path=str(tmp_path / "d.npz"), x_key="feats", y_key="labels")
    assert np.array_equal(raw.X, X) and raw.y.dtype == np.int64
    with pytest.raises(ConfigError, match="no array 'label'.*did you mean 'labels'"):
        datasets.load("npz", path=str(tmp_path / "d.npz"), x_key="feats", y_key="label")
    (tmp_path / "bad.npz").write_text("not a zip")
    with pytest.raises(ConfigError, match="cannot read"):
        datasets.load("npz", path=str(tmp_path / "bad.npz"))


def test_csv_loader_names_columns_and_maps_text_labels(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,kind,c\n1,2,cat,3\n4,5,dog,6\n7,8,cat,9\n")
    raw = datasets.load("csv", path=str(p), target="kind", features=["c", "a"])
    assert np.array_equal(raw.X, [[3, 1], [6, 4], [9, 7]])
    assert list(raw.y) == [0, 1, 0] and raw.classes == ("cat", "dog")
    raw = datasets.load("csv", path=str(p), target=2)            # by index: the others are features
    assert raw.X.shape == (3, 3)
    with pytest.raises(ConfigError, match="no column 'knd'.*did you mean 'kind'"):
        datasets.load("csv", path=str(p), target="knd")
    q = tmp_path / "noheader.csv"
    q.write_text("0.5,1.5,1\n2.5,3.5,0\n")
    raw = datasets.load("csv", path=str(q))
    assert raw.X.shape == (2, 2) and list(raw.y) == [1, 0]
    r = tmp_path / "reg.csv"
    r.write_text("x,y\n1,0.5\n2,1.25\n")
    assert datasets.load("csv", path=str(r), target="y").y.dtype.kind == "f"   # a regression target
    s = tmp_path / "bad.csv"
    s.write_text("x,y\n1,0\nabc,1\n")
    with pytest.raises(ConfigError, match="line 3.*'abc'"):
        datasets.load("csv", path=str(s), target="y")


def test_bundled_sets_shapes():
    d = datasets.load("digits")
    assert d.X.shape == (1797, 64) and set(np.unique(d.y)) == set(range(10)) and d.X.max() == 16
    assert datasets.load("digits", image=True).X.shape == (1797, 1, 8, 8)
    b = datasets.load("breast_cancer")
    assert b.X.shape == (569, 30) and set(np.unique(b.y)) == {0, 1} and b.classes == ("malignant", "benign")


@pytest.mark.parametrize("name", ["spirals", "xor", "circles"])
def test_synthetic_sets_are_seeded(name):
    a = datasets.load(name, rng=np.random.default_rng(1))
    b = datasets.load(name, rng=np.random.default_rng(1))
    c = datasets.load(name, rng=np.random.default_rng(2))
    assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)
    assert a.X.shape[1] == 2 and len(np.unique(a.y)) >= 2


def test_xor_labels_follow_the_quadrant():
    raw = datasets.load("xor", n_samples=200, noise=0.0, rng=np.random.default_rng(0))
    assert np.array_equal(raw.y, (np.sign(raw.X[:, 0]) != np.sign(raw.X[:, 1])).astype(int))


def test_test_split_depends_only_on_seed():
    base = {"name": "digits", "test_split": 0.2, "seed": 3, "scale": "none"}
    a = datasets.prepare(base, 0.1, {})
    b = datasets.prepare(base, 0.3, {})                          # another validation fraction
    assert np.array_equal(a.X_test, b.X_test) and np.array_equal(a.y_test, b.y_test)
    c = datasets.prepare(dict(base, seed=4), 0.1, {})
    assert not np.array_equal(a.y_test, c.y_test)
    # train, val and test are disjoint and cover the set
    assert len(a.X_train) + len(a.X_val) + len(a.X_test) == 1797 and len(a.X_test) == 359


def test_scaling_uses_training_statistics_only():
    d = datasets.prepare({"name": "breast_cancer", "test_split": 0.2, "seed": 0, "scale": "standard"}, 0.1, {})
    assert np.allclose(d.X_train.mean(0), 0, atol=1e-5) and np.allclose(d.X_train.std(0), 1, atol=1e-4)
    assert not np.allclose(d.X_test.mean(0), 0, atol=1e-3)       # the test part is not re-centred
    m = datasets.prepare({"name": "digits", "test_split": 0.2, "seed": 0, "scale": "max"}, 0.0, {})
    assert m.X_train.max() == 1.0 and m.X_train.min() == 0.0 and len(m.X_val) == 0
    mm = datasets.prepare({"name": "breast_cancer", "test_split": 0.2, "seed": 0, "scale": "minmax"}, 0.0, {})
    assert np.allclose(mm.X_train.min(0), 0) and np.allclose(mm.X_train.max(0), 1)
