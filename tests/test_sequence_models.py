"""The two shipped sequence models' pieces: the digit_strips and shakespeare data sets,
the CTC and per-step Tasks of a config, kubik eval / predict of a CTC model (greedy and
--beam), kubik sample of a shakespeare model, and their errors. Small settings: the
shipped configs' own numbers are in README.md."""
import numpy as np
import pytest
import yaml

from kubik import layers, losses, nets
from kubik.nets import ConfigError
from kubik.nets.builders import Task
from kubik.nets.datasets import digit_strips, load, shakespeare, strip_lengths
from kubik.nets.inference.sequences import as_text, edit_distance, sequence_scores

from cli_run import ROOT, kubik, one_line_error


def test_digit_strips_layout_and_padding():
    raw = digit_strips(n_train=50, n_test=20, rng=np.random.default_rng(0))
    assert raw.X.shape == (50, 1, 8, 48) and raw.y.shape == (50, 6) and raw.X_test.shape == (20, 1, 8, 48)
    n = strip_lengths(raw.y)
    assert n.min() >= 3 and n.max() <= 6
    for X, y, k in zip(raw.X, raw.y, n):
        assert (y[:k] < 10).all() and (y[k:] == 10).all()
        assert (X[0, :, 8 * k:] == 0).all()                 # zero beyond the last digit
    assert raw.classes[-1] == "blank" and len(raw.classes) == 11


def test_digit_strips_are_seeded():
    a = load("digit_strips", seed=3, n_train=30, n_test=10)
    b = load("digit_strips", seed=3, n_train=30, n_test=10)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, load("digit_strips", seed=4, n_train=30, n_test=10).X)


def _cells(X, y):
    """Every digit cell (64 pixels) of the strips X with its label."""
    k = strip_lengths(y)
    cells = X[:, 0].reshape(len(X), 8, 6, 8).transpose(0, 2, 1, 3).reshape(len(X), 6, 64)
    inside = np.arange(6)[None, :] < k[:, None]
    return cells[inside], y[inside]


def test_test_strips_use_only_test_digit_images():
    raw = digit_strips(n_train=800, n_test=300, rng=np.random.default_rng(1))
    digits = load("digits").X
    where = {}
    for i, row in enumerate(digits):
        where.setdefault(row.tobytes(), set()).add(i)
    train = set().union(*(where[c.tobytes()] for c in _cells(raw.X, raw.y)[0]))
    test = set().union(*(where[c.tobytes()] for c in _cells(raw.X_test, raw.y_test)[0]))
    assert train and test and not train & test
    labels = load("digits").y
    cells, y = _cells(raw.X_test, raw.y_test)
    assert all(labels[next(iter(where[c.tobytes()]))] == t for c, t in zip(cells[:50], y[:50]))


def test_digit_strips_shift_moves_training_digits_only():
    plain = digit_strips(n_train=40, n_test=10, rng=np.random.default_rng(2))
    moved = digit_strips(n_train=40, n_test=10, shift=1, rng=np.random.default_rng(2))
    assert not np.array_equal(plain.X, moved.X)
    np.testing.assert_array_equal(plain.y, moved.y)
    assert plain.X.sum() > moved.X.sum() > 0.8 * plain.X.sum()        # pixels pushed out of a cell are lost


@pytest.mark.parametrize("kwargs, key", [({"n_train": 0}, "n_train"), ({"max_digits": 2}, "max_digits"),
                                         ({"test_digits": 1.0}, "test_digits"), ({"shift": -1}, "shift")])
def test_digit_strips_argument_errors(kwargs, key):
    with pytest.raises(ConfigError, match=key):
        digit_strips(rng=np.random.default_rng(0), **kwargs)


def test_shakespeare_windows_split_by_position():
    raw = shakespeare(seq_len=100)
    assert raw.X.shape[1] == 100 and len(raw.classes) == 65
    np.testing.assert_array_equal(raw.y[:, :-1], raw.X[:, 1:])          # the next character at every step
    text = nets.datasets.shakespeare_text()
    vocab = "".join(raw.classes)
    assert "".join(vocab[i] for i in raw.X[0]) == text[:100]
    a = int(0.9 * len(text))
    assert "".join(vocab[i] for i in raw.X_val[0]) == text[a:a + 100]   # validation starts after training
    assert len(raw.X) * 100 <= a and raw.X_test.shape[1] == 100
    assert 2 * len(raw.X) - 1 <= len(shakespeare(seq_len=100, step=50).X) <= 2 * len(raw.X)
    with pytest.raises(ConfigError, match="seq_len"):
        shakespeare(seq_len=0)


def test_prepare_uses_the_sets_own_validation_split():
    data = nets.datasets.prepare({"name": "shakespeare", "seq_len": 500, "scale": "none"}, val_split=0.3)
    raw = shakespeare(seq_len=500)
    assert len(data.X_train) == len(raw.X) and len(data.X_val) == len(raw.X_val)


def test_task_for_ctc_and_for_a_label_per_step():
    ctc = Task(losses.CTC(blank=10), (24, 11), 11, (6,))
    y = np.array([[1, 2, 3, 10, 10, 10], [4, 4, 10, 10, 10, 10]])
    out = np.full((2, 24, 11), -10.0)
    out[0, :, 10] = out[1, :, 10] = 0
    for t, c in [(0, 1), (2, 2), (4, 3)]:
        out[0, t] = -10
        out[0, t, c] = 0
    for t, c in [(0, 4), (2, 4)]:
        out[1, t] = -10
        out[1, t, c] = 0
    assert ctc.correct(out, y) == 2 and ctc.targets(y) is y
    y2 = y.copy()
    y2[1, 1] = 5
    assert ctc.correct(out, y2) == 1
    steps = Task(losses.CrossEntropy(), (3, 4), 4, (3,))
    scores = np.eye(4)[[[0, 1, 2], [3, 3, 3]]]
    assert steps.correct(scores, np.array([[0, 1, 0], [3, 3, 3]])) == pytest.approx(2 / 3 + 1)
    with pytest.raises(ConfigError, match="gives 12 scores per step, but the labels and the blank make 11"):
        Task(losses.CTC(blank=10), (24, 12), 11, (6,))
    with pytest.raises(ConfigError, match="the model gives 4 steps per sample, fewer than the 6 labels"):
        Task(losses.CTC(blank=10), (4, 11), 11, (6,))
    with pytest.raises(ConfigError, match="CTC needs .T, C. log-probabilities per step"):
        Task(losses.CTC(blank=10), (11,), 11, (6,))


def test_edit_distance_and_scores():
    assert edit_distance([1, 2, 3], [1, 3]) == 1 and edit_distance([], [4, 5]) == 2
    assert edit_distance([1, 2, 3, 4], [2, 1, 3, 5]) == 3
    exact, labels = sequence_scores([[1, 2], [3]], [[1, 2], [3, 4]])
    assert exact == 0.5 and labels == pytest.approx(1 - 1 / 4)
    assert as_text([3, 1, 4], [str(i) for i in range(10)] + ["blank"], blank=10) == "314"
    assert as_text([0, 1], ["cat", "dog"]) == "cat dog"


def _strips_config(tmp_path):
    cfg = yaml.safe_load((ROOT / "configs" / "digit_strips_crnn.yaml").read_text())
    cfg["data"].update(n_train=300, n_test=60)
    cfg["train"].update(epochs=2, progress=False)
    cfg["schedule"] = None
    path = tmp_path / "strips.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_crnn_trains_evaluates_and_predicts_strings(tmp_path):
    run = tmp_path / "run"
    proc = kubik("train", _strips_config(tmp_path), "--out", run, "--quiet")
    assert proc.returncode == 0, proc.stderr
    ev = kubik("eval", run)
    assert ev.returncode == 0, ev.stderr
    assert "test split, 60 samples" in ev.stdout and "labels right" in ev.stdout and "sequences right" in ev.stdout
    strips = load("digit_strips", split="test", seed=0, n_train=300, n_test=60)
    np.savez(tmp_path / "strips.npz", X=strips.X[:4])
    for extra in ([], ["--beam", "5"]):
        pr = kubik("predict", run, tmp_path / "strips.npz", *extra)
        assert pr.returncode == 0, pr.stderr
        rows = pr.stdout.strip().splitlines()
        assert rows[0] == "prediction" and len(rows) == 5
        assert all(set(r.strip('"')) <= set("0123456789") for r in rows[1:])      # "": nothing read yet
    import kubik as K
    model = K.load(run)
    assert model.task == "ctc" and len(model.predict(strips.X[:4])) == 4
    with pytest.raises(ValueError, match="predict_proba: this model is a CTC model .its outputs are label sequences"):
        model.predict_proba(strips.X[:4])
    assert one_line_error(kubik("predict", run, tmp_path / "strips.npz", "--beam", "0")).endswith(
        "--beam must be >= 1, got 0")
    assert "confusion matrix is for classification" in one_line_error(kubik("eval", run, "--report"))


def test_beam_is_refused_for_a_classifier(tmp_path):
    run = tmp_path / "run"
    assert kubik("train", ROOT / "configs" / "digits_mlp.yaml", "--out", run, "--quiet", "--set",
                 "train.epochs=1").returncode == 0
    np.savez(tmp_path / "x.npz", X=load("digits").X[:2])
    assert "this is a classification model, not a CTC model" in one_line_error(
        kubik("predict", run, tmp_path / "x.npz", "--beam", "3"))


def test_shakespeare_model_trains_and_samples(tmp_path):
    cfg = yaml.safe_load((ROOT / "configs" / "shakespeare_transformer.yaml").read_text())
    cfg["data"].update(seq_len=16, step=3000)
    cfg["model"][1]["SinusoidalPositionalEncoding"]["max_len"] = 16
    cfg["schedule"] = None
    cfg["train"].update(epochs=1, progress=False)
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(cfg))
    run = tmp_path / "run"
    proc = kubik("train", tmp_path / "t.yaml", "--out", run, "--quiet")
    assert proc.returncode == 0, proc.stderr
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert len(saved["data"]["vocab"]) == 65
    s1 = kubik("sample", run, "--length", "40", "--prime", "ROMEO:", "--seed", "1")
    s2 = kubik("sample", run, "--length", "40", "--prime", "ROMEO:", "--seed", "1")
    assert s1.returncode == 0, s1.stderr
    assert s1.stdout == s2.stdout and s1.stdout.startswith("ROMEO:") and len(s1.stdout.rstrip("\n")) == 46
    with pytest.raises(ConfigError, match="scale: none"):
        cfg["data"]["scale"] = "standard"
        nets.build.build(nets.config.normalize(cfg))


def test_shipped_configs_build():
    for name, shape in [("digit_strips_crnn", (24, 11)), ("shakespeare_transformer", (64, 65)),
                        ("shakespeare_lstm", (64, 65))]:
        cfg = nets.config.normalize(yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text()))
        net, _, out = nets.builders.build_model(cfg["model"], (1, 8, 48) if name.startswith("digit") else (64,))
        assert out == shape
    assert isinstance(net[1], layers.LSTM)
