"""Hardening (issue 10) beyond the config corpus: hand-edited checkpoints
refused before the run folder is touched, file-system faults (a file where
the run folder should be, a read-only folder, a full disk) as one line with
the checkpoints intact, and the Python API's policies: empty batches,
foreign input dtypes, optimizer state checks."""
import contextlib
import errno
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from kubik import layers, losses, optim
from kubik.nets import checkpoint as K
from kubik.nets.checkpoint import writing
from kubik.nets.cli import main
from test_gradcheck_all import LAYER_CASES, LOSS_CASES

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "digits_mlp.yaml"
SHORT = ["--set", "train.epochs=1", "--set", "schedule=null", "--quiet"]


def run_main(*argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


def one_line(code_err, code=2):
    code_, err = code_err
    assert code_ == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def snapshot(folder):
    return {p.name: p.read_bytes() for p in Path(folder).iterdir()}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("hardening") / "run"
    assert run_main("train", CONFIG, "--out", run, *SHORT)[0] == 0
    return run


@pytest.fixture
def run(finished_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


# -- hand-edited checkpoints ---------------------------------------------------------------------------

def _edit(path, change):
    """Rewrite the checkpoint at ``path`` (with np.savez, as a hand edit would)
    after ``change(meta, arrays)``."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop(K.META)))
    change(meta, arrays)
    arrays[K.META] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _order(value, pos=1):
    def change(meta, arrays):
        meta["trainer"]["order"] = {"__array__": "trainer/order"}
        meta["trainer"]["pos"] = pos
        arrays["trainer/order"] = value
    return change


def _set(section, key, value):
    def change(meta, arrays):
        meta[section][key] = value
    return change


def _momentum_0d(meta, arrays):
    key = next(k for k in arrays if k.endswith("momentum_buffer"))
    arrays[key] = np.array(0.5, np.float32)


def _first_shape_as_text(meta, arrays):
    name = next(iter(meta["model"]))
    meta["model"][name][0] = "64, 128"


N_TRAIN = 1294
EDITS = [
    ("negative epoch", _set("trainer", "epoch", -1), "trainer epoch: -1"),
    ("string epoch", _set("trainer", "epoch", "3"), "trainer epoch: '3'"),
    ("float step", _set("trainer", "step", 4.5), "trainer step"),
    ("model as a list", lambda m, a: m.update(model=[1, 2]), "'model' entry"),
    ("shape as text", _first_shape_as_text, "shape/dtype of model/"),
    ("optimizer as a list", lambda m, a: m.update(optimizer=[]), "'optimizer' state"),
    ("0-d momentum buffer", _momentum_0d, "momentum_buffer"),
    ("order out of range", _order(np.arange(N_TRAIN) + 5), "not a permutation"),
    ("float order", _order(np.arange(N_TRAIN, dtype=float)), "1-D integer array"),
    ("2-D order", _order(np.arange(N_TRAIN).reshape(2, -1)), "2-D"),
    ("short order", _order(np.arange(10)), "data order of 10 samples"),
    ("position past the epoch", _order(np.arange(N_TRAIN), pos=10_000), "trainer pos"),
    ("rng state garbage", lambda m, a: m["rng"].update(data={"state": 5}), "does not fit"),
]


@pytest.mark.parametrize("change,fragment", [e[1:] for e in EDITS], ids=[e[0] for e in EDITS])
def test_hand_edited_checkpoint_is_refused_before_anything_is_rewritten(run, change, fragment):
    _edit(run / "last.npz", change)
    before = snapshot(run)
    line = one_line(run_main("train", "--resume", run, "--set", "train.epochs=3", "--quiet"))
    assert fragment in line and "last.npz" in line, line
    assert snapshot(run) == before


def test_unedited_checkpoint_still_resumes(run):
    assert run_main("train", "--resume", run, "--set", "train.epochs=2", "--quiet")[0] == 0


# -- the file system -----------------------------------------------------------------------------------

def test_out_at_or_below_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file", tmp_path / "file" / "run"):
        line = one_line(run_main("train", CONFIG, "--out", out, *SHORT))
        assert "is a file" in line and str(tmp_path / "file") in line, line
    assert (tmp_path / "file").read_text() == "x"


def _no_temporaries(folder):
    return not [p for p in Path(folder).iterdir() if ".tmp-" in p.name]


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_on_a_fresh_run(tmp_path, monkeypatch):
    monkeypatch.setattr(np, "savez", _full_disk)
    line = one_line(run_main("train", CONFIG, "--out", tmp_path / "run", *SHORT))
    assert "cannot write checkpoint" in line and "No space left" in line, line
    assert _no_temporaries(tmp_path / "run") and not (tmp_path / "run" / "last.npz").exists()


def test_full_disk_on_resume_keeps_the_checkpoints(run, monkeypatch):
    before = {n: (run / n).read_bytes() for n in ("last.npz", "best.npz")}
    monkeypatch.setattr(np, "savez", _full_disk)
    line = one_line(run_main("train", "--resume", run, "--set", "train.epochs=2", "--quiet"))
    # the first write of the resumed run fails (best.npz when the epoch improved: it goes before last.npz)
    assert "No space left" in line and re.search(r"previous (last|best)\.npz is unchanged", line), line
    assert {n: (run / n).read_bytes() for n in before} == before and _no_temporaries(run)
    assert K.read(run / "last.npz").trainer["epoch"] == 1


def test_read_only_run_folder(run, monkeypatch):
    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))
    monkeypatch.setattr(writing, "open", refuse, raising=False)
    before = {n: (run / n).read_bytes() for n in ("last.npz", "best.npz")}
    line = one_line(run_main("train", "--resume", run, "--set", "train.epochs=2", "--quiet"))
    assert "cannot write checkpoint" in line and "Permission denied" in line, line
    assert {n: (run / n).read_bytes() for n in before} == before and _no_temporaries(run)


def test_read_only_parent_folder(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))
    monkeypatch.setattr(Path, "mkdir", refuse)
    line = one_line(run_main("train", CONFIG, "--out", tmp_path / "ro" / "run", *SHORT))
    assert "permission denied" in line and "ro/run" in line, line


# -- Python API: empty batches, dtypes, optimizer state ---------------------------------------------------

LAYERS = [(n, c, f) for n, entries in LAYER_CASES.items() for c, f in entries[:1]]
LOSSES = [(n, c, f) for n, entries in LOSS_CASES.items() for c, f in entries[:1]]


@pytest.mark.parametrize("name,case,factory", LAYERS, ids=[f"{n}-{c}" for n, c, _ in LAYERS])
def test_every_layer_refuses_an_empty_batch_naming_itself(name, case, factory):
    layer, X = factory()
    layer.astype(np.float32)
    Xs = X if isinstance(X, tuple) else (X,)        # a merge layer: several inputs, each refused when empty
    for i in range(len(Xs)):
        with pytest.raises(ValueError, match="empty batch") as e:
            layer.forward(*(np.asarray(x, np.float32)[:0] if j == i else np.asarray(x, np.float32)
                            for j, x in enumerate(Xs)))
        assert type(layer).__name__ in str(e.value) or "[0]" in str(e.value)
        assert len(Xs) == 1 or f"input {i} of shape" in str(e.value)


@pytest.mark.parametrize("name,case,factory", LOSSES, ids=[f"{n}-{c}" for n, c, _ in LOSSES])
def test_every_loss_refuses_an_empty_batch_naming_itself(name, case, factory):
    loss, pred, target = factory()
    preds = [p[:0] for p in pred] if isinstance(pred, tuple) else [pred[:0]]
    with pytest.raises(ValueError, match=f"{type(loss).__name__}: got an empty batch"):
        loss.forward(*loss.call_arguments(preds, None if target is None else target[:0]))


@pytest.mark.parametrize("name,case,factory", LAYERS, ids=[f"{n}-{c}" for n, c, _ in LAYERS])
def test_float64_input_follows_the_parameters_dtype(name, case, factory):
    layer, X = factory()
    layer.astype(np.float32)
    Y = layer.forward(*(np.asarray(x, np.float64) for x in (X if isinstance(X, tuple) else (X,))))
    params = layer.parameters()
    for Y in (Y if isinstance(Y, tuple) else (Y,)):          # a layer with several outputs: each of them
        if params:
            assert Y.dtype == np.float32, (name, Y.dtype)
        if not params and not layer.children():
            assert Y.dtype == np.float64 or layer.input_dtype() == np.float32


def test_linear_float64_input_gives_float32_and_int_input_is_cast():
    lin = layers.Linear(3, 2, rng=0)
    X = np.arange(6.0).reshape(2, 3)
    assert lin.forward(X).dtype == np.float32
    assert np.allclose(lin.forward(X.astype(int)), lin.forward(X.astype(np.float32)))
    assert lin.astype(np.float64).forward(X.astype(np.float32)).dtype == np.float64


@pytest.mark.parametrize("make,key,bad,fragment", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), "momentum_buffer", np.array(0.5, np.float32), "shape ()"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), "momentum_buffer", np.zeros((3, 2), np.float64), "dtype float64"),
    (lambda ps: optim.Adam(ps, lr=0.1), "exp_avg", np.zeros((2, 3), np.float32), "shape (2, 3)"),
    (lambda ps: optim.Adam(ps, lr=0.1), "step", np.array(-1), "whole number >= 0"),
    (lambda ps: optim.Adam(ps, lr=0.1), "step", np.ones(3), "whole number >= 0"),
])
def test_optimizer_load_state_dict_checks_shapes_dtypes_and_counters(make, key, bad, fragment):
    lin = layers.Linear(3, 2, rng=0)
    opt = make(lin.parameters())
    lin.forward(np.ones((2, 3), np.float32))
    lin.weight.grad[...] = 1.0
    lin.bias.grad[...] = 1.0
    opt.step()
    sd = opt.state_dict()
    good = {k: v.copy() for k, v in sd["state"][0].items()}
    sd["state"][0][key] = bad
    with pytest.raises(ValueError, match=f"{type(opt).__name__}.load_state_dict") as e:
        opt.load_state_dict(sd)
    assert fragment in str(e.value)
    assert all(np.array_equal(v, good[k]) for k, v in opt.state[0].items() if not k.startswith("_"))


@pytest.mark.parametrize("field,value", [("lr", float("nan")), ("lr", -1.0), ("step_count", -2), ("step_count", 1.5)])
def test_optimizer_load_state_dict_checks_lr_and_step_count(field, value):
    opt = optim.SGD(layers.Linear(3, 2, rng=0).parameters(), lr=0.1)
    sd = opt.state_dict()
    sd[field] = value
    with pytest.raises(ValueError, match=field):
        opt.load_state_dict(sd)


def test_cross_entropy_and_mse_empty_batch_messages():
    with pytest.raises(ValueError, match="CrossEntropy: got an empty batch"):
        losses.CrossEntropy()(np.zeros((0, 3), np.float32), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match="MSE: got an empty batch"):
        losses.MSE()(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match="Conv2d: got an empty batch"):
        layers.Conv2d(1, 2, 3, rng=0)(np.zeros((0, 1, 5, 5), np.float32))
