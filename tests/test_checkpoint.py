"""Checkpoints: round trip of every piece of state, atomic writes, and
refusal of truncated / foreign / mismatched files without touching anything."""
import os
import zipfile

import numpy as np
import pytest

from kubik import layers
from kubik.nets import build as B
from kubik.nets import checkpoint as K
from kubik.nets import config as C
from kubik.nets.trainer import Trainer

TEXT = """\
seed: 3
data: {name: digits}
model:
  - Linear: {out_features: 16}
  - ReLU
  - Dropout: {p: 0.2, rng: 5}
  - Linear: {out_features: 10}
optimizer: {name: Adam, lr: 0.01}
schedule: {name: ReduceLROnPlateau, patience: 1}
train: {epochs: 1, batch_size: 64, progress: false}
"""


def experiment(text=TEXT, sets=()):
    cfg, _ = C.load("t.yaml", sets, text=text)
    return B.build(cfg)


@pytest.fixture
def trained(tmp_path):
    exp = experiment()
    tr = Trainer(exp, tmp_path / "run", log=lambda *a: None)
    tr.fit()
    return exp, tr, tmp_path / "run" / "last.npz"


def test_round_trip_restores_every_state(trained, tmp_path):
    exp, tr, path = trained
    ck = K.read(path)
    assert ck.config == exp.config and ck.config_hash == C.config_hash(exp.config)
    fresh = experiment()
    tr2 = Trainer(fresh, tmp_path / "other", log=lambda *a: None)
    layers.seed(123)                                  # scramble the package generator first
    tr2.restore(ck)
    for (n, a), (_, b) in zip(exp.net.state_dict().items(), fresh.net.state_dict().items()):
        assert np.array_equal(a, b), n
    so, fo = exp.optimizer.state_dict(), fresh.optimizer.state_dict()
    assert so["step_count"] == fo["step_count"] > 0
    for i in so["state"]:
        for k in so["state"][i]:
            assert np.array_equal(so["state"][i][k], fo["state"][i][k])
    assert exp.schedule.state_dict() == fresh.schedule.state_dict()
    assert layers.get_rng().bit_generator.state == tr.generators()["package"].bit_generator.state
    assert fresh.net[2].rng.bit_generator.state == exp.net[2].rng.bit_generator.state   # a layer's own generator
    assert tr2.data_rng.bit_generator.state == tr.data_rng.bit_generator.state
    assert tr2.state["epoch"] == 1 and tr2.state["step"] == tr.state["step"]


def test_flatten_keeps_arrays_out_of_the_json():
    arrays = {}
    tree = {"a": np.arange(3), "b": {0: {"m": np.ones((2, 2))}, "n": 1.5}, "c": [1, (2, 3)], "d": np.float32(2)}
    flat = K.flatten(tree, "x", arrays)
    assert set(arrays) == {"x/a", "x/b/0/m"} and flat["d"] == 2.0 and flat["c"] == [1, [2, 3]]
    back = K.unflatten(flat, arrays)
    assert np.array_equal(back["b"]["0"]["m"], np.ones((2, 2))) and back["b"]["n"] == 1.5


def test_save_is_atomic_and_leaves_no_temporary(trained, monkeypatch):
    exp, tr, path = trained
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError):
        tr.save()
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["best.npz", "last.npz", "metrics.csv"]


def _refused(path, fragment):
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(K.CheckpointError) as e:
        K.read(path)
    assert fragment in str(e.value) and str(path) in str(e.value)
    if before is not None:
        assert path.read_bytes() == before                # nothing rewritten


def test_truncated_checkpoints_are_refused(trained, tmp_path):
    _, _, path = trained
    blob = path.read_bytes()
    for cut in (len(blob) // 2, len(blob) - 30, 10):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(blob[:cut])
        _refused(bad, "checkpoint")


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello, not a checkpoint")
    _refused(text, "not an .npz checkpoint (not a zip archive)")
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    _refused(empty, "not an .npz checkpoint")
    npy = tmp_path / "one.npz"
    with open(npy, "wb") as f:
        np.save(f, np.zeros(3))
    _refused(npy, "not an .npz checkpoint (not a zip archive)")
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    _refused(plain, "not a kubik checkpoint")
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __kubik__=np.array([{"format": "kubik-checkpoint"}], dtype=object))
    _refused(pickled, "pickled Python objects")            # object arrays need pickle: refused
    _refused(tmp_path / "missing.npz", "does not exist")
    _refused(tmp_path, "is a folder")


def test_inconsistent_archive_is_refused(trained, tmp_path):
    _, _, path = trained
    bad = tmp_path / "swapped.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "model/0.weight.npy":
                import io
                buf = io.BytesIO()
                np.save(buf, np.zeros((3, 3), np.float32))
                data = buf.getvalue()
            dst.writestr(item, data)
    _refused(bad, "is inconsistent: entry model/0.weight is (3, 3)")


def test_other_model_and_wrong_shapes_are_refused(trained, tmp_path):
    _, _, path = trained
    ck = K.read(path)
    wider = experiment(sets=["model[0].Linear.out_features=32"])
    with pytest.raises(K.CheckpointError, match=r"does not fit the model: '0.weight' is \(64, 16\) in the checkpoint, \(64, 32\)"):
        K.restore(ck, wider.net, wider.optimizer, wider.schedule)
    deeper = experiment(sets=["model[1]=Tanh", "model[2]={Linear: {out_features: 8}}"])
    with pytest.raises(K.CheckpointError, match="comes from a different model"):
        K.restore(ck, deeper.net)
    before = deeper.net.state_dict()
    for k, v in deeper.net.state_dict().items():          # refused: nothing changed
        assert np.array_equal(v, before[k])
    other = experiment(sets=["optimizer.lr=0.5"])
    tr = Trainer(other, tmp_path / "x", log=lambda *a: None)
    with pytest.raises(K.CheckpointError, match="different config"):
        tr.restore(ck)
