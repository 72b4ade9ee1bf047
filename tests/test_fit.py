"""Training from Python: nets.fit's history by hand, run folders that resume
bit for bit, callbacks, evaluate / predict, summary and datasets.load."""
import csv

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets import checkpoint as K
from kubik.nets import config as C
from kubik.nets import build as B

QUIET = dict(progress=False, log=lambda *a: None)


def tiny():
    net = nets.Sequential(layers.Linear(1, 1, dtype=np.float64))
    net[0].weight.data[...] = 0.5
    net[0].bias.data[...] = 0.0
    return net


def test_history_of_a_tiny_problem_by_hand():
    """Y = wX + b, w = 0.5, b = 0, X = (1, 2), targets (1, 2), MSE, SGD lr 0.1, one batch of 2.
    Epoch 1: loss (0.25 + 1)/2 = 0.625; dW = -2.5, db = -1.5 -> w 0.75, b 0.15; val loss
    (0.1² + 0.35²)/2 = 0.06625. Epoch 2: the same 0.06625; dW = -0.8, db = -0.45 -> w 0.83,
    b 0.195; val loss (0.025² + 0.145²)/2 = 0.010825."""
    X = np.array([[1.0], [2.0]])
    Y = np.array([[1.0], [2.0]])
    net = tiny()
    opt = optim.SGD(net.parameters(), lr=0.1)
    hist = nets.fit(net, losses.MSE(), opt, (X, Y), val=(X, Y), epochs=2, batch_size=2, shuffle=False, **QUIET)
    assert [h["epoch"] for h in hist] == [1, 2] and [h["step"] for h in hist] == [1, 2]
    assert [h["train_loss"] for h in hist] == pytest.approx([0.625, 0.06625], abs=1e-12)
    assert [h["val_loss"] for h in hist] == pytest.approx([0.06625, 0.010825], abs=1e-12)
    assert [h["val_accuracy"] for h in hist] == [None, None] and [h["lr"] for h in hist] == [0.1, 0.1]
    assert net[0].weight.data.item() == pytest.approx(0.83) and net[0].bias.data.item() == pytest.approx(0.195)
    assert hist.as_dict()["val_loss"] == [h["val_loss"] for h in hist]
    assert hist.result.status == "finished" and hist.result.best_epoch == 2


def mlp_run(out, epochs=3, callbacks=(), resume=False):
    """A small digits MLP with Dropout, accumulation, clipping and a per-step schedule."""
    X, y = nets.datasets.load("digits")
    X = (X / 16).astype(np.float32)
    layers.seed(4)
    net = nets.Sequential(layers.Linear(64, 32), layers.ReLU(), layers.Dropout(0.2), layers.Linear(32, 10))
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    sched = optim.StepLR(opt, step_size=20, gamma=0.7)
    hist = nets.fit(net, losses.CrossEntropy(), opt, (X[:1200], y[:1200]), val=(X[1200:1400], y[1200:1400]),
                    epochs=epochs, batch_size=16, accumulate=2, clip_norm=1.0, schedule=sched,
                    schedule_interval="step", out=out, resume=resume, callbacks=callbacks, **QUIET)
    return net, hist


class StopAt(nets.Callback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, loss):
        if trainer.state["step"] == self.step:
            trainer.request_stop("stopped for the test")


def test_resume_from_a_python_run_folder_is_bit_identical(tmp_path):
    ref, ref_hist = mlp_run(tmp_path / "ref")
    _, cut_hist = mlp_run(tmp_path / "cut", callbacks=[StopAt(50)])          # mid-epoch 2 (38 steps an epoch)
    assert cut_hist.result.status == "stopped" and cut_hist.result.step == 50
    assert {p.name for p in (tmp_path / "cut").iterdir()} == {"metrics.csv", "last.npz", "best.npz"}
    with pytest.raises(ValueError, match="already holds a run.*resume=True"):
        mlp_run(tmp_path / "cut")
    net, hist = mlp_run(tmp_path / "cut", resume=True)
    for k, v in ref.state_dict().items():
        assert np.array_equal(v, net.state_dict()[k]), k
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]   # noqa: E731
    assert len(hist) == 3 and strip(hist)[2] == strip(ref_hist)[2]      # epoch 1 comes from metrics.csv (6 digits)
    for a, b in zip(strip(hist), strip(ref_hist)):
        assert a == pytest.approx(b, rel=1e-5)
    with open(tmp_path / "ref" / "metrics.csv") as f1, open(tmp_path / "cut" / "metrics.csv") as f2:
        assert strip(csv.DictReader(f1)) == strip(csv.DictReader(f2))
    best = K.read(tmp_path / "cut" / "best.npz").trainer
    assert best["epoch"] == hist.result.best_epoch and K.read(tmp_path / "cut" / "last.npz").config is None


def test_resume_flag_on_an_empty_folder_starts_afresh(tmp_path):
    lines = []
    X, y = np.zeros((8, 2), np.float32), np.zeros(8, np.int64)
    net = nets.Sequential(layers.Linear(2, 2))
    hist = nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, y), epochs=1,
                    out=tmp_path / "new", resume=True, progress=False, log=lines.append)
    assert hist.result.status == "finished" and "holds no last.npz: starting a new run" in lines[0]
    with pytest.raises(ValueError, match="resume=True needs out="):
        nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, y), resume=True, **QUIET)


def test_callbacks_see_every_step_and_epoch():
    class Count(nets.Callback):
        def __init__(self):
            self.steps, self.rows, self.started, self.ended = [], [], 0, None

        def on_fit_start(self, trainer):
            self.started += 1

        def on_step_end(self, trainer, loss):
            self.steps.append((trainer.state["step"], trainer.optimizer.step_count, np.isfinite(loss)))

        def on_epoch_end(self, trainer, row):
            self.rows.append(row["epoch"])

        def on_fit_end(self, trainer, result):
            self.ended = result.status

    X = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    y = np.arange(10) % 2
    net = nets.Sequential(layers.Linear(3, 2, rng=0))
    cb = Count()
    nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, y), epochs=2, batch_size=4,
             callbacks=[cb], **QUIET)
    assert cb.started == 1 and cb.rows == [1, 2] and cb.ended == "finished"
    assert [s[:2] for s in cb.steps] == [(i, i) for i in range(1, 7)] and all(s[2] for s in cb.steps)
    with pytest.raises(TypeError, match="subclass nets.Callback"):
        nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, y), callbacks=[42], **QUIET)


def test_fit_rejects_bad_arguments():
    net = nets.Sequential(layers.Linear(3, 2, rng=0))
    opt = optim.SGD(net.parameters(), lr=0.1)
    X, y = np.zeros((6, 3), np.float32), np.zeros(6, np.int64)
    with pytest.raises(ValueError, match="X has 6 samples but y has 5"):
        nets.fit(net, losses.CrossEntropy(), opt, (X, y[:5]), **QUIET)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        nets.fit(net, losses.CrossEntropy(), opt, (X, y), batch_size=0, **QUIET)
    with pytest.raises(ValueError, match="val: X has 6 samples but y has 2"):
        nets.fit(net, losses.CrossEntropy(), opt, (X, y), val=(X, y[:2]), **QUIET)
    with pytest.raises(ValueError, match="clip_norm must be None or a finite number > 0, got inf"):
        nets.fit(net, losses.CrossEntropy(), opt, (X, y), clip_norm=float("inf"), **QUIET)
    with pytest.raises(ValueError, match="monitor must be one of val_loss, val_accuracy, got 'acc'"):
        nets.fit(net, losses.CrossEntropy(), opt, (X, y), monitor="acc", **QUIET)
    with pytest.raises(TypeError, match="train must be an"):
        nets.fit(net, losses.CrossEntropy(), opt, X, **QUIET)


def test_evaluate_and_predict_use_eval_mode_in_batches():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((25, 4)).astype(np.float32)
    y = rng.integers(0, 3, 25)
    net = nets.Sequential(layers.Linear(4, 3, rng=0), layers.Dropout(0.5, rng=1))
    ref = net[0].forward(X)                          # eval-mode output: Dropout is the identity
    out = nets.predict(net, X, batch_size=7)
    assert net.training and np.array_equal(out, ref)
    loss, acc = nets.evaluate(net, losses.CrossEntropy(), (X, y), batch_size=4)
    assert loss == pytest.approx(losses.CrossEntropy().forward(ref, y), rel=1e-6)
    assert acc == np.mean(ref.argmax(1) == y)
    loader = nets.DataLoader(X, y, batch_size=5)
    assert nets.evaluate(net, losses.CrossEntropy(), loader) == (loss, acc) or \
        nets.evaluate(net, losses.CrossEntropy(), loader)[1] == acc
    p = np.array([[0.9], [0.2], [0.6]], np.float32)
    t = np.array([[1.0], [1.0], [0.0]], np.float32)
    _, acc = nets.evaluate(nets.Sequential(layers.Identity()), losses.BCE(), (p, t))
    assert acc == pytest.approx(1 / 3)
    assert nets.evaluate(nets.Sequential(layers.Identity()), losses.MSE(), (p, t))[1] is None


def test_summary_of_a_hand_built_net_matches_kubik_summary(capsys):
    cfg, _ = C.load("s.yaml", text="data: digits\nmodel:\n  - Linear: 32\n  - ReLU\n"
                                   "  - Residual: [{Linear: 32}, Tanh]\n  - Linear: 10\n")
    exp = B.build(cfg)
    want = nets.summary_table(exp.rows, exp.data.input_shape)
    net = nets.Sequential(layers.Linear(64, 32), layers.ReLU(),
                          nets.Residual(nets.Sequential(layers.Linear(32, 32), layers.Tanh())), layers.Linear(32, 10))
    assert nets.summary(net, (64,)) == want
    assert capsys.readouterr().out == want + "\n"
    assert "total parameters: 3,466" in want and "(10,)" in want
    bad = nets.Sequential(layers.Linear(64, 32), layers.ReLU(), layers.Linear(31, 10))
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\) does not fit its input shape \(32,\).*\(\.\.\., 31\)"):
        nets.summary(bad, (64,))


def test_datasets_load_gives_raw_arrays_and_own_test_splits(tmp_path):
    X, y = nets.datasets.load("digits")
    assert X.shape == (1797, 64) and y.shape == (1797,) and X.max() == 16
    assert nets.datasets.load("digits", image=True).X.shape == (1797, 1, 8, 8)
    a, b = nets.datasets.load("spirals", seed=3), nets.datasets.load("spirals", seed=3)
    assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, nets.datasets.load("spirals", seed=4).X)
    with pytest.raises(ValueError, match="'digits' has no test split of its own"):
        nets.datasets.load("digits", split="test")
    with pytest.raises(TypeError, match="unknown argument 'imag'; known: image"):
        nets.datasets.load("digits", imag=True)
    np.savez(tmp_path / "d.npz", X=np.zeros((6, 2)), y=np.arange(6), Xt=np.ones((2, 2)), yt=np.arange(2))
    Xt, yt = nets.datasets.load("npz", split="test", path=str(tmp_path / "d.npz"), x_test_key="Xt", y_test_key="yt")
    assert Xt.shape == (2, 2) and Xt.min() == 1 and yt.tolist() == [0, 1]


def test_cli_resume_of_a_python_run_folder_says_how(tmp_path, capsys):
    from kubik.nets.cli import main
    X, y = np.zeros((8, 2), np.float32), np.zeros(8, np.int64)
    net = nets.Sequential(layers.Linear(2, 2, rng=0))
    nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, y), epochs=1,
             out=tmp_path / "py", **QUIET)
    assert main(["train", "--resume", str(tmp_path / "py")]) == 2
    err = capsys.readouterr().err
    assert "made from Python" in err and "--data TRAIN (8 samples)" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ValueError, match="no batch"):
        nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X[:0], y[:0]), **QUIET)


def test_a_trainer_goes_on_after_a_stop_with_another_fit_call():
    X = np.random.default_rng(0).standard_normal((12, 3)).astype(np.float32)
    y = np.arange(12) % 2
    net = nets.Sequential(layers.Linear(3, 2, rng=0))
    tr = nets.Trainer(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), epochs=2,
                      callbacks=[StopAt(2)], **QUIET)
    loader = nets.DataLoader(X, y, batch_size=4, shuffle=True, rng=0)
    assert tr.fit(loader).status == "stopped" and tr.state["step"] == 2 and loader.pos == 2
    res = tr.fit(loader)                           # the same loader continues its epoch
    assert res.status == "finished" and res.step == 6 and [h["epoch"] for h in res.history] == [1, 2]
