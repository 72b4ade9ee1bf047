"""``kubik predict`` against hostile inputs (issue 29): nothing is lost (the output is
written through a temporary file, -o naming the input or the checkpoint is refused),
no row is dropped (headers are decided, not guessed), every refusal is one line
naming the file (damaged archives, 0-d arrays, strings, objects, a megabyte cell,
non-UTF-8 text, an edited stored preprocessing), the csv on stdout stays clean of
the user's prints, integer-labelled data gives integer labels, and the bundled
tables are ordinary CSV whose rows predict as they are (the old form still reads)."""
import csv
import io
import json
import struct
import zipfile

import numpy as np
import pytest

import kubik
from kubik import nets

from checkpoint_edit import edit_checkpoint
from cli_run import ROOT, kubik as run_kubik, one_line_error

BC = ROOT / "nets" / "data" / "breast_cancer.csv"


def _trained(tmp_path_factory, config, epochs):
    run = tmp_path_factory.mktemp(config) / "run"
    r = run_kubik("train", ROOT / "configs" / f"{config}.yaml", "--out", run, "--quiet", "--set", f"train.epochs={epochs}")
    assert r.returncode == 0, r.stderr
    return run


@pytest.fixture(scope="module")
def bc_run(tmp_path_factory):
    return _trained(tmp_path_factory, "breast_cancer", 3)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return _trained(tmp_path_factory, "digits_mlp", 2)


def _bc_lines(n=5):
    return BC.read_text().splitlines()[1:1 + n]


def predict(*args, **kw):
    return run_kubik("predict", *args, **kw)


# ---- nothing is lost ---------------------------------------------------------------------------

def test_a_refused_input_leaves_an_existing_output_as_it_was(bc_run, tmp_path):
    out = tmp_path / "pred.csv"
    out.write_text("my earlier predictions\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n")
    line = one_line_error(predict(bc_run, bad, "-o", out))
    assert str(bad) in line
    assert out.read_text() == "my earlier predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "pred.csv"]     # no temporary file left


def test_output_onto_the_input_or_the_checkpoint_is_refused(bc_run, tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(_bc_lines()) + "\n")
    before = data.read_bytes()
    line = one_line_error(predict(bc_run, data, "-o", data))
    assert "is the input file" in line and data.read_bytes() == before
    best = (bc_run / "best.npz").read_bytes()
    line = one_line_error(predict(bc_run, data, "-o", bc_run / "best.npz"))
    assert "is the checkpoint" in line and (bc_run / "best.npz").read_bytes() == best
    r = predict(bc_run, data, "-o", tmp_path / "p.csv")
    assert r.returncode == 0 and len((tmp_path / "p.csv").read_text().splitlines()) == 6, r.stderr


# ---- no row dropped ------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["text target", "bom", "trailing comma", "header then rows", "old bundled line"])
def test_every_row_is_predicted(bc_run, tmp_path, form):
    lines = _bc_lines(5)
    if form == "text target":          # headerless, with the target column as names
        lines = [l.rsplit(",", 1)[0] + "," + ("malignant" if l.endswith("0") else "benign") for l in lines]
    elif form == "bom":
        lines[0] = "\ufeff" + lines[0]
    elif form == "trailing comma":
        lines = [l + "," for l in lines]
    elif form == "header then rows":
        lines = [BC.read_text().splitlines()[0]] + lines
    else:
        lines = ["569,30,malignant,benign"] + lines
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = predict(bc_run, data)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 1 + 5


def test_a_first_row_that_is_neither_header_nor_numbers_is_an_error_not_a_skip(bc_run, tmp_path):
    lines = _bc_lines(3)
    lines[0] = "oops," + lines[0].split(",", 1)[1]
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(lines) + "\n")
    line = one_line_error(predict(bc_run, data))
    assert f"'{data}' line 1" in line and "'oops'" in line


def test_bundled_tables_are_ordinary_csv_and_predict_as_they_are(bc_run):
    head = BC.read_text().splitlines()[0].split(",")
    assert len(head) == 31 and head[0] == "mean radius" and head[-1] == "target"
    r = predict(bc_run, BC)
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 1 + 569, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {row["prediction"] for row in rows} <= {"malignant", "benign"}


def test_old_bundled_form_is_still_read(tmp_path):
    from kubik.nets.datasets import csv_file
    from kubik.nets.datasets.bundled import read_table
    old = tmp_path / "old.csv"
    old.write_text("569,30,malignant,benign\n" + "\n".join(_bc_lines(569)) + "\n")
    X, y, names, classes = read_table(old)
    Xn, yn, names_new, _ = read_table(BC)
    assert np.array_equal(X, Xn) and np.array_equal(y, yn) and classes == ("malignant", "benign") and names is None
    assert len(names_new) == 30
    raw = csv_file(old)
    assert raw.classes == ("malignant", "benign") and raw.X.shape == (569, 30) and np.array_equal(raw.y, yn)


# ---- one line naming the file ----------------------------------------------------------------------

def _idx(path, dims, dtype=0x08):
    payload = np.zeros(int(np.prod(dims)) if dims else 1, np.uint8).tobytes()
    path.write_bytes(b"\0\0" + bytes([dtype, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload)
    return path


def _zip_garbage(path):
    path.write_bytes(b"PK\x03\x04" + b"\x17garbage" * 20)
    return path


def _truncated_npz(path):
    buf = io.BytesIO()
    np.savez(buf, X=np.zeros((50, 30)))
    path.write_bytes(buf.getvalue()[:300])
    return path


HOSTILE = {
    "truncated npz": (lambda p: _truncated_npz(p / "t.npz"), "t.npz"),
    "zip magic then garbage": (lambda p: _zip_garbage(p / "g.npz"), "g.npz"),
    "0-d array in npz": (lambda p: (np.savez(p / "z.npz", X=np.float64(3.0)), p / "z.npz")[1], "single value"),
    "0-dim IDX": (lambda p: _idx(p / "z.idx", []), "z.idx"),
    "28x28 IDX": (lambda p: _idx(p / "img.idx", [28, 28]), "img.idx"),
    "1 MB csv cell": (lambda p: (p / "big.csv").write_text("1," + "9" * 1_000_000 + "\n") and p / "big.csv",
                      "big.csv"),
    "non-UTF-8 csv": (lambda p: (p / "latin.csv").write_bytes(b"1.0,2.0,caf\xe9\n") and p / "latin.csv", "UTF-8"),
    "npy of numbers, wrong shape": (lambda p: (np.save(p / "a.npy", np.zeros((3, 7))), p / "a.npy")[1], "a.npy"),
    "npz of strings": (lambda p: (np.savez(p / "s.npz", X=np.array([["a", "b"]])), p / "s.npz")[1], "strings"),
    "npz of objects": (lambda p: _object_npz(p / "o.npz"), "Python objects"),
    "npy of dates": (lambda p: (np.save(p / "d.npy", np.array(["2020-01-01"], "M8[D]")), p / "d.npy")[1], "dates"),
}


def _object_npz(path):
    with zipfile.ZipFile(path, "w") as z:          # what np.savez(allow_pickle) writes for an object array
        buf = io.BytesIO()
        np.save(buf, np.array([None, 1], dtype=object), allow_pickle=True)
        z.writestr("X.npy", buf.getvalue())
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_one_line_naming_the_file(bc_run, tmp_path, case):
    make, fragment = HOSTILE[case]
    (tmp_path / "in").mkdir()
    path = make(tmp_path / "in")
    out = tmp_path / "keep.csv"
    out.write_text("kept\n")
    line = one_line_error(predict(bc_run, path, "-o", out))
    assert str(path) in line and fragment in line, line
    assert out.read_text() == "kept\n"


def test_an_npy_of_numbers_is_predicted(bc_run, tmp_path):
    np.save(tmp_path / "x.npy", np.loadtxt(BC, delimiter=",", skiprows=1)[:4, :30])
    r = predict(bc_run, tmp_path / "x.npy")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 5, r.stderr


# ---- an edited stored preprocessing ---------------------------------------------------------------

def _pre(key, value):
    def edit(meta):
        meta["preprocessing"][key] = value
    return edit


def _scale(values):
    def edit(arrays):
        key = next(k for k in arrays if k.startswith("preprocessing/scale_values"))
        arrays[key] = np.asarray(values)
    return edit


EDITS = {
    "one class name": (_pre("classes", ["malignant"]), None, "classes"),
    "classes as a string": (_pre("classes", "malignant,benign"), None, "classes"),
    "classes as a mapping": (_pre("classes", {"0": "malignant", "1": "benign"}), None, "classes"),
    "unknown dtype": (_pre("dtype", "float128x"), None, "dtype"),
    "non-numeric threshold": (_pre("threshold", "half"), None, "threshold"),
    "scaler of the wrong length": (None, _scale(np.ones(7)), "scale_values"),
    "scaler of the wrong shape": (None, _scale(np.ones((30, 2))), "scale_values"),
    "zero scale": (None, _scale(np.r_[np.ones(29), 0.0]), "scale_values"),
    "NaN scale": (None, _scale(np.r_[np.ones(29), np.nan]), "scale_values"),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_edited_preprocessing_is_one_line_naming_the_checkpoint(bc_run, tmp_path, case):
    meta, arrays, fragment = EDITS[case]
    ckpt = edit_checkpoint(bc_run / "best.npz", tmp_path / "edited.npz", meta=meta, arrays=arrays)
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(_bc_lines()) + "\n")
    line = one_line_error(predict(ckpt, data))
    assert str(ckpt) in line and "stored preprocessing" in line and fragment in line, line
    with pytest.raises(nets.checkpoint.CheckpointError, match=fragment):
        kubik.load(ckpt)


# ---- a clean stdout, integer labels ----------------------------------------------------------------

def test_a_printing_user_module_stays_out_of_the_csv(tmp_path):
    (tmp_path / "noisy.py").write_text(
        "print('hello from my module')\nfrom kubik import layers\n\n@layers.register\n"
        "class NoisyIdentity(layers.Layer):\n    \"\"\"Prints while it runs.\"\"\"\n"
        "    def forward(self, X):\n        print('forward!')\n        return X\n"
        "    def backward(self, G):\n        return G\n")
    (tmp_path / "c.yaml").write_text("imports: [./noisy.py]\ndata: breast_cancer\n"
                                     "model: [NoisyIdentity, {Linear: 2}]\ntrain: {epochs: 1}\n")
    r = run_kubik("train", tmp_path / "c.yaml", "--out", tmp_path / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(_bc_lines()) + "\n")
    r = predict(tmp_path / "run", data)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["prediction", "malignant", "benign"] and len(rows) == 6
    assert "hello from my module" in r.stderr and "forward!" in r.stderr


def test_integer_labelled_data_gives_integer_labels(digits_run, tmp_path):
    model = kubik.load(digits_run)
    X, y = nets.datasets.load("digits")
    pred = model.predict(X[:20])
    assert pred.dtype.kind == "i" and model.classes.dtype.kind == "i"
    assert set(pred.tolist()) <= set(range(10))
    np.savez(tmp_path / "x.npz", X=X[:3])
    r = predict(digits_run, tmp_path / "x.npz")
    assert r.stdout.splitlines()[0] == "prediction," + ",".join(map(str, range(10)))
    # a checkpoint that stored the names '0'..'9' (as kubik did before) gives integers too
    old = edit_checkpoint(digits_run / "best.npz", tmp_path / "old.npz",
                          meta=_pre("classes", [str(i) for i in range(10)]))
    assert kubik.load(old).predict(X[:5]).dtype.kind == "i"
