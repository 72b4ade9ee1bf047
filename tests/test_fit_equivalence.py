"""One loop: a shipped config trained by ``kubik train`` and the same net,
loss, optimizer, schedule and settings written in Python and trained with
``nets.fit`` end with bit-identical weights and the same metrics."""
import csv
import pathlib

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets import checkpoint as K
from kubik.nets.cli import main

CONFIGS = pathlib.Path(__file__).parent.parent / "configs"
EPOCHS = 3


def digits_mlp():
    data = nets.datasets.prepare({"name": "digits", "test_split": 0.2, "seed": 0, "scale": "standard"}, 0.1)
    layers.seed(0)
    net = nets.Sequential(layers.Linear(64, 128), layers.ReLU(), layers.Linear(128, 10))
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    sched = optim.CosineAnnealingLR(opt, T_max="auto")        # the config's: the run's epochs
    return data, data.y_train, data.y_val, net, losses.CrossEntropy(), opt, sched, dict(batch_size=32)


def digits_cnn():
    data = nets.datasets.prepare({"name": "digits", "test_split": 0.2, "seed": 0, "scale": "max"}, 0.1,
                                 {"image": True})
    layers.seed(0)
    net = nets.Sequential(layers.Conv2d(1, 16, 3, padding=1), layers.ReLU(), layers.MaxPool2d(2),
                          layers.Conv2d(16, 32, 3, padding=1), layers.ReLU(), layers.MaxPool2d(2), layers.Flatten(),
                          layers.Linear(128, 64), layers.ReLU(), layers.Linear(64, 10)).set_propagate_down(False)
    opt = optim.SGD(optim.param_groups_no_decay(net), lr=0.05, momentum=0.9, weight_decay=1e-4)
    sched = optim.CosineAnnealingLR(opt, T_max="auto")
    return data, data.y_train, data.y_val, net, losses.CrossEntropy(), opt, sched, dict(
        batch_size=32, monitor="val_accuracy")


def breast_cancer():
    data = nets.datasets.prepare({"name": "breast_cancer", "test_split": 0.2, "seed": 0, "scale": "standard"}, 0.1)
    layers.seed(0)
    net = nets.Sequential(layers.Linear(30, 16), layers.Sigmoid(), layers.Linear(16, 1), layers.Sigmoid())
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    as_col = lambda y: y.reshape(-1, 1).astype(np.float32)    # noqa: E731  BCE compares (N, 1) floats
    return data, as_col(data.y_train), as_col(data.y_val), net, losses.BCE(), opt, None, dict(batch_size=16)


def spirals():
    data = nets.datasets.prepare({"name": "spirals", "n_samples": 900, "classes": 3, "noise": 0.2, "turns": 1.0,
                                  "test_split": 0.2, "seed": 0, "scale": "none"}, 0.1,
                                 {"n_samples": 900, "classes": 3, "noise": 0.2, "turns": 1.0})
    layers.seed(0)
    net = nets.Sequential(layers.Linear(2, 64), layers.ReLU(), layers.Linear(64, 64), layers.ReLU(),
                          layers.Linear(64, 3))
    opt = optim.Adam(net.parameters(), lr=0.01)
    sched = optim.LinearWarmup(opt, warmup_steps=5, start_factor=0.1, after=optim.CosineAnnealingLR(opt, T_max="auto"))
    return data, data.y_train, data.y_val, net, losses.CrossEntropy(), opt, sched, dict(
        batch_size=32, early_stopping={"patience": 30, "monitor": "val_loss"})


@pytest.mark.parametrize("name, make", [("digits_mlp", digits_mlp), ("digits_cnn", digits_cnn),
                                        ("breast_cancer", breast_cancer), ("spirals", spirals)])
def test_cli_and_python_give_bit_identical_weights(tmp_path, name, make):
    code = main(["train", str(CONFIGS / f"{name}.yaml"), "--set", f"train.epochs={EPOCHS}",
                 "--out", str(tmp_path / "cli"), "--quiet"])
    assert code == 0
    data, y_train, y_val, net, loss, opt, sched, kw = make()
    bs = kw.pop("batch_size")
    train = nets.DataLoader(data.X_train, y_train, batch_size=bs, shuffle=True, rng=np.random.default_rng([0, 7]))
    history = nets.fit(net, loss, opt, train, val=(data.X_val, y_val), epochs=EPOCHS, schedule=sched,
                       out=tmp_path / "py", progress=False, log=lambda *a: None, **kw)
    cli = K.read(tmp_path / "cli" / "last.npz").model_state()
    py = net.state_dict()
    assert cli.keys() == py.keys()
    for k in cli:
        assert np.array_equal(cli[k], py[k]), (name, k)
    with open(tmp_path / "cli" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["train_loss"]) for r in rows] == pytest.approx([h["train_loss"] for h in history], rel=1e-5)
    assert [r["step"] for r in rows] == [str(h["step"]) for h in history]
    for k, v in K.read(tmp_path / "py" / "last.npz").model_state().items():   # the Python run folder agrees
        assert np.array_equal(v, py[k])
    cli_best, py_best = K.read(tmp_path / "cli" / "best.npz"), K.read(tmp_path / "py" / "best.npz")
    assert cli_best.trainer["epoch"] == py_best.trainer["epoch"]
