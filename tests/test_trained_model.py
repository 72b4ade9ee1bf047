"""Trained models out: the preprocessing stored in checkpoints, kubik.load
(predict, predict_proba, transform, classes; no data files needed), kubik
predict (csv by header name, with or without the target column, npz, IDX;
one-line errors; batching) and old checkpoints without the new metadata."""
import csv
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import yaml

import kubik
from kubik import nets
from kubik.nets import checkpoint as K
from kubik.nets.cli import main
from kubik.nets.config import load as load_config
from kubik.nets.datasets import apply_scaler, prepare

ROOT = Path(__file__).resolve().parent.parent
BC = ROOT / "nets" / "data" / "breast_cancer.csv"


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *args):
    code, out, err = run_cli(capsys, *args)
    assert code == 2, (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.fixture(scope="module")
def bc_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("bc") / "run"
    assert main(["train", str(ROOT / "configs" / "breast_cancer.yaml"), "--out", str(run), "--quiet",
                 "--set", "train.epochs=8"]) == 0
    return run


def bc_raw():
    table = np.loadtxt(BC, delimiter=",", skiprows=1)
    return table[:, :-1], table[:, -1].astype(int)


def test_checkpoint_stores_preprocessing(bc_run):
    ckpt = K.read(bc_run / "best.npz")
    rec = nets.inference.preprocessing.load(ckpt.meta, ckpt.arrays)
    assert rec["task"] == "binary" and rec["classes"] == ["malignant", "benign"]
    assert rec["input_shape"] == [30] and rec["dtype"] == "float32" and rec["scale"] == "standard"
    cfg, _ = load_config(ROOT / "configs" / "breast_cancer.yaml")
    data = prepare(cfg["data"], cfg["train"]["val_split"])
    np.testing.assert_allclose(rec["shift"], data.shift)
    np.testing.assert_allclose(rec["scale_values"], data.scale)
    X, _ = bc_raw()
    model = kubik.load(bc_run)
    np.testing.assert_allclose(model.transform(X), apply_scaler(X, data.shift, data.scale), rtol=1e-5, atol=1e-5)


def test_load_predict(bc_run):
    model = kubik.load(bc_run)
    assert model.net.training is False and model.path.name == "best.npz"
    assert list(model.classes) == ["malignant", "benign"]
    X, y = bc_raw()
    pred = model.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= {"malignant", "benign"}
    accuracy = np.mean(pred == np.array(["malignant", "benign"])[y])
    assert accuracy > 0.9, accuracy
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert np.array_equal(model.classes[proba.argmax(1)], pred)
    out = model.net.forward(model.transform(X[:4]))                   # .net is the trained Sequential
    np.testing.assert_allclose(proba[:4, 1], out[:, 0], rtol=1e-5)    # BCE: outputs are P(benign)
    assert np.array_equal(kubik.load(bc_run / "last.npz").predict(X), kubik.load(bc_run, which="last").predict(X))
    assert nets.load is kubik.load
    with pytest.raises(ValueError, match="wrong input shape: 29 features"):
        model.predict(X[:, :29])
    with pytest.raises(ValueError, match="NaN"):
        model.predict(np.where(np.eye(len(X), 30, dtype=bool), np.nan, X))
    with pytest.raises(ValueError, match="which must be"):
        kubik.load(bc_run, which="worst")


def test_predict_cli_bundled_csv(bc_run, tmp_path, capsys):
    out = tmp_path / "pred.csv"
    X, y = bc_raw()
    new = tmp_path / "new.csv"                                                   # a header, and the target column
    write_csv(new, [f"feature{i}" for i in range(30)] + ["diagnosis"], np.column_stack([X, y]))
    code, text, err = run_cli(capsys, "predict", bc_run, new, "-o", out)
    assert code == 0, err
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["prediction", "malignant", "benign"] and len(rows) == 570
    model = kubik.load(bc_run)
    assert [r[0] for r in rows[1:]] == list(model.predict(X))
    np.testing.assert_allclose(np.array([r[1:] for r in rows[1:]], float), model.predict_proba(X), rtol=1e-5)
    no_target = tmp_path / "x.csv"
    np.savetxt(no_target, X[:5], delimiter=",")                                  # headerless, features only
    code, text, err = run_cli(capsys, "predict", bc_run, no_target, "--batch-size", "2")   # printed
    assert code == 0, err
    lines = text.strip().splitlines()
    assert lines[0] == "prediction,malignant,benign" and [l.split(",")[0] for l in lines[1:]] == list(model.predict(X[:5]))
    np.savetxt(no_target, X[:5, :28], delimiter=",")
    line = one_line_error(capsys, "predict", bc_run, no_target)
    assert "28 columns; the model takes 30 features" in line
    bad = X[:3].copy()
    bad[1, 4] = np.nan
    np.savetxt(no_target, bad, delimiter=",")
    line = one_line_error(capsys, "predict", bc_run, no_target)
    assert "line 2" in line and "NaN" in line, line


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A model trained on the user's own csv (text labels, named columns); the csv is deleted afterwards."""
    folder = tmp_path_factory.mktemp("csvrun")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((240, 3)) * [1.0, 5.0, 0.1] + [0.0, 10.0, -3.0]
    label = np.array(["cat", "dog", "emu"])[(X[:, 0] > 0.5).astype(int) + (X[:, 0] > -0.5)]
    data = folder / "animals.csv"
    write_csv(data, ["width", "species", "height", "depth"],
              [[f"{a:.5f}", s, f"{b:.5f}", f"{c:.5f}"] for (a, b, c), s in zip(X, label)])
    cfg = {"data": {"name": "csv", "path": str(data), "target": "species"},
           "model": [{"Linear": 16}, "Tanh", {"Linear": 3}], "optimizer": {"name": "Adam", "lr": 0.05},
           "train": {"epochs": 15, "progress": False}}
    (folder / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", str(folder / "c.yaml"), "--out", str(folder / "run"), "--quiet"]) == 0
    data.unlink()                                                                 # no data file from here on
    return folder / "run", X, label


def test_csv_model_by_column_names(csv_run, tmp_path, capsys):
    run, X, label = csv_run
    model = kubik.load(run)
    assert list(model.classes) == ["cat", "dog", "emu"] and model.features == ["width", "height", "depth"]
    assert np.mean(model.predict(X) == label) > 0.85
    new = tmp_path / "new.csv"                                                   # other column order, no target
    write_csv(new, ["depth", "width", "height"], [[c, a, b] for a, b, c in X[:6]])
    code, text, err = run_cli(capsys, "predict", run, new)
    assert code == 0, err
    lines = text.strip().splitlines()
    assert lines[0] == "prediction,cat,dog,emu"
    assert [l.split(",")[0] for l in lines[1:]] == list(model.predict(X[:6]))
    write_csv(new, ["width", "height"], [[a, b] for a, b, c in X[:6]])
    line = one_line_error(capsys, "predict", run, new)
    assert "lacks the column(s) 'depth'" in line, line
    write_csv(new, ["width", "height", "depth"], [[1, 2, "tall"]])
    line = one_line_error(capsys, "predict", run, new)
    assert "column 'depth' holds 'tall'" in line, line


def test_csv_regression(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 2))
    y = 3 * X[:, 0] - X[:, 1] + 0.5
    data = tmp_path / "reg.csv"
    write_csv(data, ["a", "b", "y"], [[f"{a:.6f}", f"{b:.6f}", f"{t:.6f}"] for (a, b), t in zip(X, y)])
    cfg = {"data": {"name": "csv", "path": str(data)}, "model": [{"Linear": 1}], "loss": "MSE",
           "optimizer": {"name": "Adam", "lr": 0.1}, "train": {"epochs": 30, "progress": False}}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    capsys.readouterr()
    model = kubik.load(tmp_path / "run")
    assert model.task == "regression" and model.classes is None
    np.testing.assert_allclose(model.predict(X[:20]), y[:20], atol=0.1)
    with pytest.raises(ValueError, match="regression"):
        model.predict_proba(X)
    code, text, err = run_cli(capsys, "predict", tmp_path / "run", data)          # target column dropped by name
    assert code == 0, err
    lines = text.strip().splitlines()
    assert lines[0] == "prediction" and abs(float(lines[1]) - y[0]) < 0.1


def write_idx(path, images):
    with open(path, "wb") as f:
        f.write(b"\0\0\x08" + bytes([images.ndim]) + struct.pack(">" + "I" * images.ndim, *images.shape))
        f.write(images.astype(np.uint8).tobytes())


def test_image_model_npz_and_idx(tmp_path, capsys):
    run = tmp_path / "cnn"
    assert main(["train", str(ROOT / "configs" / "digits_cnn.yaml"), "--out", str(run), "--quiet",
                 "--set", "train.epochs=3"]) == 0
    model = kubik.load(run)
    assert model.input_shape == (1, 8, 8) and list(model.classes) == list(range(10))   # the digits: integers
    raw = nets.datasets.load("digits", image=True)
    images = raw.X[:50, 0]                                                       # (50, 8, 8): reshaped to (1, 8, 8)
    write_idx(tmp_path / "digits-idx3-ubyte", images)
    code, text, err = run_cli(capsys, "predict", run, tmp_path / "digits-idx3-ubyte", "-o", tmp_path / "p.csv")
    assert code == 0, err
    rows = list(csv.reader((tmp_path / "p.csv").open()))
    assert rows[0] == ["prediction"] + [str(i) for i in range(10)] and len(rows) == 51
    assert [r[0] for r in rows[1:]] == [str(c) for c in model.predict(raw.X[:50])]
    assert np.mean(np.array([r[0] for r in rows[1:]]) == raw.y[:50].astype(str)) > 0.6
    np.savez(tmp_path / "x.npz", X=raw.X[:7])
    code, text, err = run_cli(capsys, "predict", run, tmp_path / "x.npz")
    assert code == 0 and len(text.strip().splitlines()) == 8, err
    write_idx(tmp_path / "small-idx3-ubyte", images[:, :7, :7])
    line = one_line_error(capsys, "predict", run, tmp_path / "small-idx3-ubyte", "-o", tmp_path / "bad.csv")
    assert not (tmp_path / "bad.csv").exists()                                   # nothing half-written
    assert "49 values per sample (7, 7)" in line and "(1, 8, 8)" in line, line
    np.savez(tmp_path / "two.npz", a=raw.X[:2], b=raw.X[:2])
    line = one_line_error(capsys, "predict", run, tmp_path / "two.npz")
    assert "no array 'X'" in line


def strip_new_metadata(path):
    """Rewrite a checkpoint as an older kubik wrote it: no preprocessing, no imports in its config."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__kubik__"]))
    meta.pop("preprocessing")
    meta["config"].pop("imports", None)
    arrays = {k: v for k, v in arrays.items() if not k.startswith("preprocessing/")}
    arrays["__kubik__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)


def test_old_checkpoints_keep_working(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(ROOT / "configs" / "spirals.yaml"), "--out", str(run), "--quiet",
                 "--set", "train.epochs=2"]) == 0
    model_before = kubik.load(run).predict(np.array([[0.1, 0.2], [-0.5, 0.3]]))
    for name in ("best.npz", "last.npz"):
        strip_new_metadata(run / name)
        assert "preprocessing" not in K.read(run / name).meta
    code, text, err = run_cli(capsys, "eval", run / "best.npz")
    assert code == 0 and "accuracy" in text, err
    code, text, err = run_cli(capsys, "train", "--resume", run, "--set", "train.epochs=3")
    assert code == 0 and "resuming" in text, err
    assert "preprocessing" in K.read(run / "last.npz").meta                      # written again from now on
    strip_new_metadata(run / "best.npz")
    model = kubik.load(run)                                                       # rebuilt with its data
    assert model.predict(np.array([[0.1, 0.2], [-0.5, 0.3]])).shape == model_before.shape


def test_headerless_csv_with_feature_subset(tmp_path, capsys):
    """Features picked by index from a wider headerless table: a new file laid out the same way works."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((150, 4))
    y = (X[:, 0] + X[:, 2] > 0).astype(int)
    table = np.column_stack([X[:, 0], X[:, 1], X[:, 2], X[:, 3], y])
    np.savetxt(tmp_path / "t.csv", table, delimiter=",", fmt="%.6f")
    cfg = {"data": {"name": "csv", "path": str(tmp_path / "t.csv"), "features": [0, 2], "target": 4},
           "model": [{"Linear": 2}], "optimizer": {"name": "Adam", "lr": 0.1}, "train": {"epochs": 10}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    capsys.readouterr()
    model = kubik.load(tmp_path / "run")
    assert model.record["layout"] == {"columns": 5, "feature_columns": [0, 2]}
    code, text, err = run_cli(capsys, "predict", tmp_path / "run", tmp_path / "t.csv")
    assert code == 0, err
    got = [int(l.split(",")[0]) for l in text.strip().splitlines()[1:]]
    assert got == list(model.predict(X[:, [0, 2]])) and np.mean(np.array(got) == y) > 0.9
