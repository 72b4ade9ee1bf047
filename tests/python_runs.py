"""Shared by the tests of runs trained from Python (test_python_run.py,
test_eval_data.py): a small digits run with fit(out=...) and the in-process CLI."""
import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets.cli import main

QUIET = dict(progress=False, log=lambda *a: None)


def digits(image=False):
    X, y = nets.datasets.load("digits", image=image)
    return (X / 16).astype(np.float32), y


def run(out, net, loss, X, y, **kw):
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    return nets.fit(net, loss, opt, (X[:1000], y[:1000]), val=(X[1000:1200], y[1000:1200]), out=out,
                    **{"epochs": 2, **QUIET, **kw})


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("py") / "run"
    X, y = digits()
    layers.seed(3)
    net = nets.Sequential(layers.Linear(64, 32), layers.ReLU(), layers.Dropout(0.1), layers.Linear(32, 10))
    run(folder, net, losses.CrossEntropy(label_smoothing=0.05), X, y)
    test = folder.parent / "test.npz"
    np.savez(test, X=X[1200:], y=y[1200:])
    return folder, net, test


def eval_cli(capsys, *args):
    code = main(["eval", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


