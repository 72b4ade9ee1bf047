"""A corpus of broken configs, hostile YAML, broken data files and bad
``--set`` values, each mutating a shipped config. Every case must end in
exit 2, at most 3 lines on stderr, no Traceback, the offending entry named
(the fragment), and nothing written into the existing run folder that
``--out`` points at. The CLI runs in-process (``kubik.nets.cli.main``) for
speed; a few cases also run as real ``python -m kubik`` subprocesses.

Adding a case is one line in SETS, EDITS, TEXTS or DATA (or a key in the
schema tables, which GENERATED covers).
"""
import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kubik.nets.cli import main
from kubik.nets.config.schema import CHECKPOINT, DATA as DATA_KEYS, EARLY, TRAIN

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
BOMB = "{a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], " + ", ".join(     # 10^9 entries in 250 bytes
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]" for p, c in zip("abcdefgh", "bcdefghi")) + "}"

# (shipped config, --set values separated by ' ; ', fragment the error line must contain)
SETS = [
    ("digits_mlp", "seed=-1", "--set seed=-1: seed: must be >= 0"),
    ("digits_mlp", "data.seed=-1", "data.seed: must be >= 0"),
    ("digits_mlp", "seed=1.5", "seed: expected an integer"),
    ("digits_mlp", "train.clip_norm=.inf", "train.clip_norm: must be a finite number"),
    ("digits_mlp", "train.clip_value=-1", "train.clip_value: must be a finite number > 0"),
    ("digits_mlp", "train.early_stopping.min_delta=.nan", "train.early_stopping.min_delta: must be a finite"),
    ("digits_mlp", "train.early_stopping.min_delta=-1", "train.early_stopping.min_delta: must be >= 0"),
    ("digits_mlp", "train.val_split=.nan", "train.val_split: must be in [0, 1)"),
    ("digits_mlp", "train.val_split=1", "train.val_split: must be in [0, 1)"),
    ("digits_mlp", "data.test_split=-0.1", "data.test_split: must be in [0, 1)"),
    ("digits_mlp", "train.batch_size=0", "train.batch_size: must be >= 1"),
    ("digits_mlp", "train.epochs=0", "train.epochs: must be >= 1"),
    ("digits_mlp", "train.drop_last=true ; train.batch_size=5000", "--set train.batch_size=5000: train.batch_size"),
    ("digits_mlp", "train.early_stopping.monitor=val_acc", "train.early_stopping.monitor: unknown metric"),
    ("digits_mlp", "train.checkpoint.monitor=loss", "train.checkpoint.monitor: unknown metric"),
    ("digits_mlp", "loss=BCE", "--set loss=BCE: loss: BCE takes probabilities"),
    ("digits_mlp", "loss=NLL", "loss: NLL takes log-probabilities"),
    ("digits_mlp", "loss=CrossEntropi", "did you mean 'CrossEntropy'"),
    ("digits_mlp", "loss.reduction=max", "loss"),
    ("digits_mlp", "model[0].Linear.out_features=1000000000000", "model[0].Linear: cannot allocate Linear"),
    ("digits_mlp", "model[2].Linear.out_features=12", "model[2].Linear: the last layer gives 12 outputs"),
    ("digits_mlp", "model[2].Linear.out_features=9", "model[2].Linear: the last layer gives 9 outputs"),
    ("digits_mlp", "model[2].Linear.out_features=0", "model[2].Linear"),
    ("digits_mlp", "model[2].Linear.out_features=ten", "model[2].Linear.out_features"),
    ("digits_mlp", "model[1]={BatchNorm1d: 8}", "model[1].BatchNorm1d: a single value would set eps"),
    ("digits_mlp", "model[1]={LeakyReLU: 5}", "model[1].LeakyReLU: a single value would set negative_slope"),
    ("digits_mlp", "model[1]={Dropout: 1.5}", "model[1].Dropout"),
    ("digits_mlp", "model[1]=Relu", "did you mean 'ReLU'"),
    ("digits_mlp", "model[0].Linear.out_feature=3", "did you mean 'out_features'"),
    ("digits_mlp", "model[0].Linear.in_features=3", "model[0].Linear.in_features"),
    ("digits_mlp", "model[0].Linear.bogus=1", "model[0].Linear.bogus: unknown argument"),
    ("digits_mlp", "model[9].Linear.out_features=3", "has 3 entries, no [9]"),
    ("digits_mlp", "model=[]", "model: the model has no layers"),
    ("digits_mlp", "model=5", "model: expected a list"),
    ("digits_mlp", "model=[{Linear: 10, ReLU: 1}]", "model[0]"),
    ("digits_mlp", "model=[[]]", "model[0]"),
    ("digits_mlp", "model[1]={Reshape: [3, 5]}", "model[1].Reshape"),
    ("digits_mlp", "model[1]={Sequential: 5}", "model[1].Sequential"),
    ("digits_mlp", "optimizer.lr=-1", "optimizer"),
    ("digits_mlp", "optimizer.lr=fast", "optimizer.lr"),
    ("digits_mlp", "optimizer.lrr=1", "did you mean 'lr'"),
    ("digits_mlp", "optimizer.name=Adamm", "did you mean 'Adam'"),
    ("digits_mlp", "optimizer.momentum=-0.5", "optimizer"),
    ("digits_mlp", "optimizer.no_decay=maybe", "optimizer.no_decay"),
    ("digits_mlp", "schedule.name=Cosine", "schedule"),
    ("digits_mlp", "schedule.interval=batch", "schedule.interval"),
    ("digits_mlp", "schedule.T_max=many", "schedule.T_max"),
    ("digits_mlp", "schedule=5", "schedule"),
    ("digits_mlp", "data.name=digitz", "did you mean 'digits'"),
    ("digits_mlp", "data.scale=log", "data.scale: unknown scaling"),
    ("digits_mlp", "data.path=x.csv", "data.path"),
    ("digits_mlp", "data={name: npz}", "data: missing argument 'path'"),
    ("digits_mlp", "data={name: csv, path: /no/such.csv}", "data.path: data file not found"),
    ("digits_mlp", "data={name: npz, path: /}", "data.path"),
    ("digits_mlp", "bogus=1", "unknown top-level key 'bogus'"),
    ("digits_mlp", "optimiser.lr=1", "did you mean 'optimizer'"),
    ("digits_mlp", "optimizer.lr", "expected KEY=VALUE"),
    ("digits_mlp", "optimizer..lr=1", "bad --set path"),
    ("digits_mlp", "=3", "bad --set path"),
    ("digits_mlp", "optimizer.lr=[1", "not valid YAML"),
    ("digits_mlp", "optimizer.lr=*nothing", "not valid YAML"),
    ("digits_mlp", "optimizer={name: SGD, lr: 1, lr: 2}", "--set optimizer: duplicate key 'lr'"),
    ("digits_mlp", "optimizer.lr=!!python/object:os.system x", "not valid YAML"),
    ("digits_mlp", "model=" + BOMB, "--set model: this value expands to more than"),
    ("digits_mlp", "model=[" + ", ".join(["ReLU"] * 1001) + "]", "model: more than 1000 layer entries"),
    ("digits_mlp", "train.epochs=1 ; train.epochs.x=1", "train.epochs is 1, not a mapping"),
    ("digits_cnn", "model[0].Conv2d.kernel_size=20", "model[0].Conv2d"),
    ("digits_cnn", "model[0].Conv2d.out_channels=-1", "model[0].Conv2d"),
    ("digits_cnn", "model[2].MaxPool2d.kernel_size=0", "model[2].MaxPool2d"),
    ("digits_cnn", "model[2].MaxPool2d=999999999999999999999", "model[2].MaxPool2d: does not fit its input"),
    ("digits_cnn", "model[6]=ReLU", "model[9].Linear: the model outputs shape (32, 2, 10)"),
    ("digits_cnn", "data.image=maybe", "data.image"),
    ("breast_cancer", "model[3]=ReLU", "loss: BCE takes probabilities"),
    ("breast_cancer", "model[2].Linear.out_features=3", "model[3].Sigmoid: the last layer gives 3 outputs"),
    ("breast_cancer", "loss=CrossEntropy", "model[3].Sigmoid"),
    ("spirals", "data.classes=0", "data"),
    ("spirals", "data.n_samples=-5", "data"),
    ("spirals", "data.noise=lots", "data.noise"),
    ("spirals", "data.n_samples=999999999999999999999", "data: the spirals loader cannot use these arguments"),
    ("spirals", "schedule.after={Nope: {}}", "schedule.after"),
    ("spirals", "schedule.warmup_steps=-1", "schedule"),
    ("spirals", "optimizer.betas=[0.9]", "optimizer"),
]

# (shipped config, text to replace, replacement, fragment); the file is written as <config>.yaml
EDITS = [
    ("digits_mlp", "  lr: 0.05\n", "  lr: 0.05\n  lr: 5.0\n", "digits_mlp.yaml:23: duplicate key 'lr' (first given at line 22)"),
    ("digits_mlp", "seed: 0  ", "seed: 0\nseed: 1  ", "digits_mlp.yaml:6: duplicate key 'seed' (first given at line 5)"),
    ("digits_mlp", "  momentum: 0.9", "  momentum: [0.9", "digits_mlp.yaml"),
    ("digits_mlp", "  momentum: 0.9", "\tmomentum: 0.9", "digits_mlp.yaml"),
    ("digits_mlp", "optimizer:", "optimiser:", "did you mean 'optimizer'"),
    ("digits_mlp", "  epochs: 30", "  epoch: 30", "train.epoch: unknown key (did you mean 'epochs'?)"),
    ("digits_mlp", "  - ReLU\n", "  - Relu\n", "digits_mlp.yaml:15: model[1]: unknown layer 'Relu'"),
    ("digits_mlp", "{out_features: 128}", "{out_features: 128, out_features: 64}", "duplicate key 'out_features'"),
    ("digits_mlp", "{out_features: 128}", "{out_features: -128}", "digits_mlp.yaml:14: model[0].Linear"),
    ("digits_mlp", "loss: CrossEntropy", "loss: [CrossEntropy]", "digits_mlp.yaml:18: loss"),
    ("digits_mlp", "  T_max: auto", "  T_max: thirty", "digits_mlp.yaml:26: schedule: T_max"),
    ("digits_mlp", "  batch_size: 32", "  batch_size: 32.5", "digits_mlp.yaml:33: train.batch_size"),
    ("digits_mlp", "  batch_size: 32", "  batch_size: 5000\n  drop_last: true", "digits_mlp.yaml:33: train.batch_size: 5000"),
    ("digits_cnn", "  - Flatten ", "  - Flatten: 5 ", "model[6].Flatten"),
    ("digits_cnn", "kernel_size: 3, padding: 1}   # -> (16", "kernel_size: 3, padding: 1, stride: 0}   # -> (16",
     "digits_cnn.yaml:15: model[0].Conv2d"),
    ("breast_cancer", "  monitor: val_loss", "  monitor: val_loss\n    monitor: val_accuracy", "duplicate key 'monitor'"),
    ("spirals", "  classes: 3", "  classes: 3\n  classes: 4", "duplicate key 'classes'"),
]

# (whole config text, fragment); written as bad.yaml
TEXTS = [
    ("", "the config is empty"),
    ("- 1\n- 2\n", "a config must be a mapping"),
    ("just text\n", "a config must be a mapping"),
    ("data: digits\nmodel: [Linear: {out_features: 10}\n", "bad.yaml"),
    ("data: digits\nmodel: &m [*m]\n", "bad.yaml:2"),
    ("bomb: " + BOMB + "\ndata: digits\nmodel: [{Linear: {out_features: 10}}]\n", "expands to more than"),
    ("data: digits\nmodel: [" + ", ".join(["1"] * 10001) + "]\n", "bad.yaml:2: a list or mapping of 10001 entries"),
    ("data: digits\nmodel: " + "[" * 100 + "]" * 100 + "\n", "bad.yaml:2: lists and mappings nested more than 64"),
    ("data: digits\nmodel: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("data: !!python/object/apply:os.system ['true']\nmodel: []\n", "not valid YAML"),
    ("data: digits\ndata: digits\nmodel: [{Linear: {out_features: 10}}]\n", "bad.yaml:2: duplicate key 'data'"),
    ("data: digits\nmodel: [{Linear: {out_features: 10}}]\noptimizer: {lr: " + "9" * 5000 + "}\n", "optimizer"),
    ("data: digits\nmodel: [{Linear: {out_features: 10}}]\nseed: '" + "x" * 5000 + "'\n", "bad.yaml:3: seed"),
    ("data: {name: digits, image: true}\nmodel: [{Linear: {out_features: 10}}]\n", "model[0].Linear"),
]

# (file name, how to write it, fragment); the data section is --set to npz or csv on that file
DATA = [
    ("labels.npz", lambda p: np.savez(p, X=np.ones((20, 4)), y=np.r_[[-1] * 10, [1] * 10]), "class label -1"),
    ("nan.npz", lambda p: np.savez(p, X=np.r_[np.ones((19, 4)), [[np.nan] * 4]], y=np.arange(20) % 2), "NaN"),
    ("inf.npz", lambda p: np.savez(p, X=np.r_[[[np.inf] * 4], np.ones((19, 4))], y=np.arange(20) % 2), "infinite"),
    ("strings.npz", lambda p: np.savez(p, X=np.full((20, 4), "a"), y=np.arange(20) % 2), "must be numbers"),
    ("ystr.npz", lambda p: np.savez(p, X=np.ones((20, 4)), y=np.full(20, "a")), "targets must be numbers"),
    ("noX.npz", lambda p: np.savez(p, x=np.ones((20, 4)), y=np.arange(20) % 2), "data.x_key: '"),
    ("short.npz", lambda p: np.savez(p, X=np.ones((20, 4)), y=np.arange(5) % 2), "20 samples but 5 targets"),
    ("trunc.npz", lambda p: (np.savez(p, X=np.ones((20, 4)), y=np.arange(20) % 2),
                             p.write_bytes(p.read_bytes()[:200])), "data.path: cannot read"),
    ("random.npz", lambda p: p.write_bytes(bytes(range(256)) * 3), "not a zip archive"),
    ("text.npz", lambda p: p.write_text("hello\n"), "not a zip archive"),
    ("pickled.npz", lambda p: np.savez(p, X=np.array([{}] * 20, dtype=object), y=np.arange(20) % 2), "pickled"),
    ("latin1.csv", lambda p: p.write_bytes("a,b,y\n1,2,0\n\xe9,3,1\n".encode("latin-1")), "not UTF-8"),
    ("labels.csv", lambda p: p.write_text("a,b,y\n" + "".join(f"{i},{i},{i % 2 * 2 - 1}\n" for i in range(20))),
     "class label -1"),
    ("ragged.csv", lambda p: p.write_text("a,b,y\n1,2,0\n1,2\n3,4,1\n"), "line 3: 2 columns, expected 3"),
    ("words.csv", lambda p: p.write_text("a,b,y\n1,x,0\n2,3,1\n"), "holds 'x', not a number"),
    ("nan.csv", lambda p: p.write_text("a,b,y\n" + "".join(f"{i},nan,{i % 2}\n" for i in range(20))), "NaN"),
    ("empty.csv", lambda p: p.write_text(""), "is empty"),
]


def _wrong_value(kinds):
    return "[1, 2]" if kinds == ("str",) else ("5" if "dict" in kinds else "'x'")


def _misspelled(key):
    return key[:-1] if len(key) > 4 else key + "s"


# wrong kinds and misspelled keys at every level of the fixed schema
GENERATED = []
for _section, _schema in (("train", TRAIN), ("train.early_stopping", EARLY), ("train.checkpoint", CHECKPOINT),
                          ("data", DATA_KEYS)):
    for _key, (_default, _kinds, _) in _schema.items():
        if _section == "data" and _key == "name":
            continue
        GENERATED.append(("digits_mlp", f"{_section}.{_key}={_wrong_value(_kinds)}", f"{_section}.{_key}: "))
        GENERATED.append(("digits_mlp", f"{_section}.{_misspelled(_key)}=1", f"did you mean {_key!r}"))


def run_main(argv):
    """(exit code, stderr) of ``main(argv)`` in-process, stdout discarded."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


@pytest.fixture
def run_folder(tmp_path):
    """An existing run folder, and a function asserting it is unchanged."""
    run = tmp_path / "run"
    run.mkdir()
    for name, data in (("config.yaml", b"seed: 0\n"), ("metrics.csv", b"epoch\n1\n"), ("last.npz", b"PK\x03\x04x")):
        (run / name).write_bytes(data)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    yield run, lambda: {p.name: p.read_bytes() for p in run.iterdir()} == before


def refused(argv, fragment, run_folder):
    run, unchanged = run_folder
    code, err = run_main(["train", *argv, "--out", run, "--quiet"])
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert 1 <= len(lines) <= 3 and "Traceback" not in err, err
    assert fragment in err, err
    assert "already holds a run" not in err, err
    assert unchanged(), sorted(p.name for p in run.iterdir())
    assert len(err) < 1000, len(err)
    return lines[0]


def _sets(text):
    return [x for s in text.split(" ; ") for x in ("--set", s)]


def test_the_corpus_is_large_enough():
    assert len(SETS) + len(EDITS) + len(TEXTS) + len(DATA) + len(GENERATED) >= 100


@pytest.mark.parametrize("config,sets,fragment", SETS + GENERATED, ids=[s[1][:40] for s in SETS + GENERATED])
def test_bad_set_values(config, sets, fragment, run_folder):
    refused([CONFIGS / f"{config}.yaml", *_sets(sets)], fragment, run_folder)


@pytest.mark.parametrize("config,old,new,fragment", EDITS, ids=[e[3][:40] for e in EDITS])
def test_bad_config_files(config, old, new, fragment, run_folder, tmp_path):
    text = (CONFIGS / f"{config}.yaml").read_text()
    assert old in text
    path = tmp_path / f"{config}.yaml"
    path.write_text(text.replace(old, new, 1))
    line = refused([path], fragment, run_folder)
    assert f"{config}.yaml" in line


@pytest.mark.parametrize("text,fragment", TEXTS, ids=[t[1][:40] for t in TEXTS])
def test_hostile_yaml(text, fragment, run_folder, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert "bad.yaml" in refused([path], fragment, run_folder)


@pytest.mark.parametrize("name,write,fragment", DATA, ids=[d[0] for d in DATA])
def test_broken_data_files(name, write, fragment, run_folder, tmp_path):
    path = tmp_path / name
    write(path)
    kind = "npz" if name.endswith(".npz") else "csv"
    line = refused([CONFIGS / "digits_mlp.yaml", "--set", f"data={{name: {kind}, path: '{path}'}}"],
                   fragment, run_folder)
    assert "--set data=" in line and "data" in line


def test_non_utf8_config_file(run_folder, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"data: digits\nmodel: [\xff\xfe]\n")
    refused([path], "bad.yaml: cannot read the config", run_folder)


@pytest.mark.parametrize("argv,fragment", [
    (["--set", "seed=-1"], "seed: must be >= 0"),
    (["--set", "loss=BCE"], "loss: BCE takes probabilities"),
    (["--set", "data={name: npz, path: /}"], "data.path"),
])
def test_real_subprocess_exit_codes(argv, fragment, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kubik", "train", CONFIGS / "digits_mlp.yaml", *argv,
                           "--out", tmp_path / "run"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert fragment in proc.stderr
    assert not (tmp_path / "run").exists()
