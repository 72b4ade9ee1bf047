"""A run trained from Python (nets.fit(out=...)) is usable without the script:
its checkpoints record the net (layer.spec()), the loss and the input shape, so
``kubik eval RUN --data SOURCE`` and ``kubik.load(RUN)`` rebuild it; a net that
cannot be described still trains and then says why, in one line."""
import io
from pathlib import Path

import numpy as np
import pytest

import kubik
from kubik import layers, losses, nets
from kubik.nets import checkpoint as K
from kubik.nets.cli import main

from cli_run import kubik as kubik_cmd, one_line_error
from python_runs import digits, eval_cli, mlp_run, run  # noqa: F401  (mlp_run: a fixture)


def test_eval_data_prints_what_nets_evaluate_gives(mlp_run, capsys):
    folder, net, test = mlp_run
    model = kubik.load(folder)
    with np.load(test) as z:
        X, y = z["X"], z["y"]
    loss, acc = nets.evaluate(model.net, losses.CrossEntropy(label_smoothing=0.05), (X, y))
    code, out, _ = eval_cli(capsys, folder, "--data", test)
    assert code == 0
    assert f"{test} (all samples), {len(X)} samples: loss {loss:.4f}  accuracy {100 * acc:.2f}%" in out
    last = kubik.load(folder, which="last")           # the last weights are the net's own
    assert nets.evaluate(last.net, losses.CrossEntropy(label_smoothing=0.05), (X, y)) == \
        nets.evaluate(net, losses.CrossEntropy(label_smoothing=0.05), (X, y))


def test_load_predicts_what_the_net_predicts(mlp_run):
    folder, net, test = mlp_run
    model = kubik.load(folder / "last.npz")
    X = digits()[0][1200:]
    out = nets.predict(net, X)
    assert model.task == "classification" and list(model.classes) == list(range(10))
    np.testing.assert_array_equal(model.predict(X), out.argmax(1))
    z = np.exp(out - out.max(1, keepdims=True))
    np.testing.assert_allclose(model.predict_proba(X), z / z.sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_array_equal(model.transform(X), X)          # no scaling was used
    assert model.config is None


def test_report_and_a_bundled_set_with_the_same_size_reshaped(tmp_path, capsys):
    X, y = digits(image=True)
    layers.seed(0)
    net = nets.Sequential(layers.Conv2d(1, 4, 3, padding=1), layers.ReLU(), layers.Flatten(),
                          layers.Linear(256, 10))
    run(tmp_path / "cnn", net, losses.CrossEntropy(), X, y)
    code, out, _ = eval_cli(capsys, tmp_path / "cnn", "--data", "digits", "--report")   # 64 features -> (1, 8, 8)
    assert code == 0 and "digits (all samples), 1797 samples" in out and "weighted avg" in out


def test_binary_and_regression_runs_load(tmp_path):
    X = np.random.default_rng(0).standard_normal((300, 3)).astype(np.float32)
    y = (X.sum(1) > 0).astype(np.float32).reshape(-1, 1)
    layers.seed(1)
    net = nets.Sequential(layers.Linear(3, 1))
    run(tmp_path / "bin", net, losses.BCEWithLogits(), X, y)
    model = kubik.load(tmp_path / "bin", which="last")
    assert model.task == "binary"
    np.testing.assert_array_equal(model.predict(X), (nets.predict(net, X)[:, 0] > 0).astype(int))
    layers.seed(1)
    net = nets.Sequential(layers.Linear(3, 2), layers.Tanh(), layers.Linear(2, 1))
    run(tmp_path / "reg", net, losses.MSE(), X, X[:, :1] * 0.5)
    model = kubik.load(tmp_path / "reg", which="last")
    assert model.task == "regression"
    np.testing.assert_array_equal(model.predict(X), nets.predict(net, X)[:, 0])


class Doubler(layers.Layer):        # a user's layer, not registered
    def forward(self, X):
        return 2 * X

    def backward(self, G):
        return 2 * G


def test_an_undescribable_net_trains_and_then_says_why(tmp_path, capsys, mlp_run):
    X, y = digits()
    lines = []
    net = nets.Sequential(layers.Linear(64, 10), Doubler())
    hist = run(tmp_path / "u", net, losses.CrossEntropy(), X, y, log=lines.append)
    assert len(hist) == 2 and (tmp_path / "u" / "best.npz").is_file()
    notes = [line for line in lines if "kubik eval" in line]
    assert len(notes) == 1 and "layer '1' (Doubler): Doubler is not a registered layer" in notes[0]
    code, _, err = eval_cli(capsys, tmp_path / "u", "--data", mlp_run[2])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "layer '1' (Doubler)" in err
    with pytest.raises(K.CheckpointError, match=r"cannot be rebuilt: layer '1' \(Doubler\)"):
        kubik.load(tmp_path / "u")
    net = nets.Sequential(layers.Linear(64, 10), Doubler())
    run(tmp_path / "u", net, losses.CrossEntropy(), X, y, resume=True, epochs=3)   # resume is unchanged
    assert K.read(tmp_path / "u" / "last.npz").trainer["epoch"] == 3



USER_MODULE = '''
from kubik import layers


@layers.register
class Swish4(layers.Layer):
    """Y = X * sigmoid(beta * X), a user's registered layer."""
    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = beta

    def forward(self, X):
        self._X, self._s = X, 1 / (1 + np.exp(-self.beta * X))
        return X * self._s

    def backward(self, G):
        X, s = self._X, self._s
        return G * (s + self.beta * X * s * (1 - s))
'''


def test_a_registered_user_layer_is_imported_again_from_its_module(tmp_path, monkeypatch):
    import sys
    (tmp_path / "user_swish4.py").write_text("import numpy as np\n" + USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = dict(layers.LAYERS._table)
    try:
        import user_swish4
        X, y = digits()
        layers.seed(0)
        net = nets.Sequential(layers.Linear(64, 16), user_swish4.Swish4(beta=2.0), layers.Linear(16, 10))
        run(tmp_path / "sw", net, losses.CrossEntropy(), X, y)
        run_meta = K.read(tmp_path / "sw" / "last.npz").meta["python_run"]
        assert run_meta["imports"] == ["user_swish4"] and run_meta["model"][1] == {"Swish4": {"beta": 2.0}}
        np.savez(tmp_path / "t.npz", X=X[1200:], y=y[1200:])
        proc = kubik_cmd("eval", tmp_path / "sw", "--data", tmp_path / "t.npz", cwd=tmp_path)   # imports it
        assert proc.returncode == 0, proc.stderr
        loss, acc = nets.evaluate(kubik.load(tmp_path / "sw").net, losses.CrossEntropy(), (X[1200:], y[1200:]))
        assert f"loss {loss:.4f}  accuracy {100 * acc:.2f}%" in proc.stdout
        err = one_line_error(kubik_cmd("eval", tmp_path / "sw", "--data", tmp_path / "t.npz"))  # not importable here
        assert "user_swish4" in err
    finally:
        layers.LAYERS._table.clear()
        layers.LAYERS._table.update(saved)
        sys.modules.pop("user_swish4", None)



def test_a_checkpoint_from_before_the_description_is_refused_as_before(tmp_path, capsys, mlp_run):
    net = nets.Sequential(layers.Linear(64, 10))
    K.save(tmp_path / "old.npz", net)                 # no config, no python_run entry
    with pytest.raises(K.CheckpointError, match="holds no config to rebuild the model"):
        kubik.load(tmp_path / "old.npz")
    for args in ((), ("--data", mlp_run[2])):
        code, _, err = eval_cli(capsys, tmp_path / "old.npz", *args)
        assert code == 2 and "holds no config to rebuild the model" in err and len(err.strip().splitlines()) == 1


def test_summary_of_a_run_folder_or_checkpoint_is_the_table_of_the_rebuilt_net(mlp_run, capsys):
    folder, net, _ = mlp_run
    expected = nets.summary(net, (64,), file=io.StringIO())
    for target in (folder, folder / "last.npz"):
        assert main(["summary", str(target)]) == 0
        printed = capsys.readouterr().out
        assert printed.strip() == expected.strip()
        assert "total parameters: 2,410" in printed        # 64·32 + 32 + 32·10 + 10
    assert main(["summary", str(folder), "--set", "seed=1"]) == 2
    assert "--set applies to a config file" in capsys.readouterr().err


def test_summary_of_a_yaml_run_folder_is_its_configs_table(tmp_path, capsys):
    config = str(Path(__file__).resolve().parent.parent / "configs" / "digits_mlp.yaml")
    assert main(["summary", config]) == 0
    expected = capsys.readouterr().out
    assert main(["train", config, "--out", str(tmp_path / "run"), "--quiet", "--set", "train.epochs=1"]) == 0
    capsys.readouterr()
    assert main(["summary", str(tmp_path / "run")]) == 0
    assert capsys.readouterr().out == expected
