"""Shared by the tests of ``kubik train --resume`` on runs made from Python
(test_cli_resume_python*.py): the data as .npz files, two runs (SGD and Adam),
their last.npz arrays, and a checkpoint's resume record edited by hand."""
import json
import shutil

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets.checkpoint.format import META

QUIET = dict(progress=False, log=lambda *a: None)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    X, y = nets.datasets.load("digits")
    X = (X / 16).astype(np.float32)
    train, val = (X[:600], y[:600]), (X[1200:1400], y[1200:1400])
    np.savez(folder / "train.npz", X=train[0], y=train[1])
    np.savez(folder / "val.npz", X=val[0], y=val[1])
    return folder, train, val


def sgd_run(out, train, val, epochs, resume=False, callbacks=()):
    """SGD with momentum, a warmup then StepLR per step, clipping, accumulation, Dropout's own generator and
    training transforms (noise and flips drawing from the loader's generator)."""
    layers.seed(4)
    net = nets.Sequential(layers.Linear(64, 32), layers.ReLU(), layers.Dropout(0.2, rng=5), layers.Linear(32, 10))
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    sched = optim.LinearWarmup(opt, 5, after=optim.StepLR(opt, step_size=20, gamma=0.7))
    nets.fit(net, losses.CrossEntropy(), opt, train, val=val, epochs=epochs, batch_size=16, accumulate=2,
             clip_norm=1.0, schedule=sched, schedule_interval="step", out=out, resume=resume, callbacks=callbacks,
             augment=[nets.augment.RandomNoise(0.05), nets.augment.RandomFlip()], **QUIET)


def adam_run(out, train, val, epochs, resume=False):
    """Adam with two parameter groups (their own lr and weight decay), a frozen bias, a Parameter's own
    lr_mult, cosine annealing per epoch, BatchNorm and early-stopping settings; float64."""
    layers.seed(7)
    net = nets.Sequential(layers.Linear(64, 24), layers.BatchNorm1d(24), layers.Tanh(), layers.Linear(24, 10))
    net.astype(np.float64)
    net[0].bias.requires_grad = False
    net[3].weight.lr_mult = 0.5
    groups = [{"params": [net[0].weight, net[0].bias], "lr": 0.003},
              {"params": net[1].parameters() + net[3].parameters(), "weight_decay": 1e-3}]
    opt = optim.Adam(groups, lr=0.01, betas=(0.8, 0.99))
    sched = optim.CosineAnnealingLR(opt, T_max=4, eta_min=1e-4)
    nets.fit(net, losses.CrossEntropy(label_smoothing=0.1), opt, (train[0].astype(np.float64), train[1]),
             val=(val[0].astype(np.float64), val[1]), epochs=epochs, batch_size=50, shuffle=True, drop_last=True,
             schedule=sched, early_stopping={"patience": 5}, monitor="val_accuracy", out=out, resume=resume, **QUIET)


def weights(folder):
    with np.load(folder / "last.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files if not k.startswith("__")}


def assert_same(a, b):
    assert sorted(a) == sorted(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


def three_ways(tmp_path, run, data, cli):
    """(CLI resume, Python resume of a copy, uninterrupted) last.npz arrays of ``run``: 2 epochs, then 4."""
    folder, train, val = data
    run(tmp_path / "cli", train, val, 2)
    shutil.copytree(tmp_path / "cli", tmp_path / "py")
    cli(tmp_path / "cli", folder)
    run(tmp_path / "py", train, val, 4, resume=True)
    run(tmp_path / "full", train, val, 4)
    return weights(tmp_path / "cli"), weights(tmp_path / "py"), weights(tmp_path / "full")


def edit_record(folder, change):
    """Rewrite last.npz's resume record with ``change(record)``."""
    with np.load(folder / "last.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays[META]))
    change(meta["python_run"])
    arrays[META] = np.array(json.dumps(meta))
    np.savez(folder / "last.npz", **arrays)
