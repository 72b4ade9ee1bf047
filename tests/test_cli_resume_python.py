"""``kubik train --resume RUN --data TRAIN --val VAL --epochs N`` on a run made
from Python: bitwise the weights of a Python resume (``fit(..., resume=True)``)
of a copy of the same folder, and of an uninterrupted run; what cannot be
rebuilt without the script is one line, exit 2."""
import shutil

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets.cli import main

from cli_run import kubik, one_line_error

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
    """SGD with momentum, a warmup then StepLR per step, clipping, accumulation and Dropout's own generator."""
    layers.seed(4)
    net = nets.Sequential(layers.Linear(64, 32), layers.ReLU(), layers.Dropout(0.2, rng=5), layers.Linear(32, 10))
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    sched = optim.LinearWarmup(opt, 5, after=optim.StepLR(opt, step_size=20, gamma=0.7))
    nets.fit(net, losses.CrossEntropy(), opt, train, val=val, epochs=epochs, batch_size=16, accumulate=2,
             clip_norm=1.0, schedule=sched, schedule_interval="step", out=out, resume=resume, callbacks=callbacks,
             **QUIET)


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


def test_sgd_run_resumed_by_the_command_line_is_bitwise_a_python_resume(tmp_path, data):
    def cli(run, folder):          # a fresh process, as a user runs it
        proc = kubik("train", "--resume", run, "--data", folder / "train.npz", "--val", folder / "val.npz",
                     "--epochs", 4, "--quiet")
        assert proc.returncode == 0, proc.stderr
        assert "resuming" in proc.stdout and "epoch 4/4" in proc.stdout and "step 76" in proc.stdout
    cli_w, py_w, full_w = three_ways(tmp_path, sgd_run, data, cli)
    assert_same(cli_w, py_w)
    assert_same(cli_w, full_w)
    assert any(k.endswith("momentum_buffer") for k in cli_w)


def test_adam_with_groups_and_frozen_parameters_resumes_bitwise(tmp_path, data, capsys):
    def cli(run, folder):
        assert main(["train", "--resume", str(run), "--data", str(folder / "train.npz"), "--val",
                     str(folder / "val.npz"), "--epochs", "4", "--quiet"]) == 0
    cli_w, py_w, full_w = three_ways(tmp_path, adam_run, data, cli)
    assert_same(cli_w, py_w)
    assert_same(cli_w, full_w)
    layers.seed(7)
    start = layers.Linear(64, 24).astype(np.float64)
    assert np.array_equal(cli_w["model/0.bias"], start.bias.data)          # frozen: never moved
    assert not np.array_equal(cli_w["model/0.weight"], start.weight.data)
    assert "epoch 4/4" in capsys.readouterr().out
    assert main(["train", "--resume", str(tmp_path / "cli"), "--data", str(data[0] / "train.npz"), "--val",
                 str(data[0] / "val.npz")]) == 0                  # its 4 epochs are done: says so, exit 0
    assert "already done its 4 epochs" in capsys.readouterr().out


class Note(nets.Callback):
    pass


class MySGD(optim.SGD):            # not registered: a config cannot name it
    pass


class MyLinear(layers.Linear):     # neither
    pass


def _folder(tmp_path, data, **kw):
    folder, train, val = data
    layers.seed(1)
    net = nets.Sequential(layers.Linear(64, 10))
    opt = kw.pop("opt", None) or optim.SGD(net.parameters(), lr=0.1)
    nets.fit(net, losses.CrossEntropy(), opt, train, val=kw.pop("val", val), epochs=1, out=tmp_path / "r",
             **kw, **QUIET)
    return tmp_path / "r"


def test_refusals_are_one_line(tmp_path, data):
    folder, train, val = data
    tr, va = folder / "train.npz", folder / "val.npz"
    run = _folder(tmp_path, data)
    err = one_line_error(kubik("train", "--resume", run))
    assert "made from Python" in err and "--data TRAIN (600 samples)" in err and "--val VAL (200 samples)" in err
    np.savez(tmp_path / "short.npz", X=train[0][:500], y=train[1][:500])
    err = one_line_error(kubik("train", "--resume", run, "--data", tmp_path / "short.npz", "--val", va))
    assert "500 samples, but the run trained on 600" in err
    np.savez(tmp_path / "other.npz", X=train[0][::-1], y=train[1][::-1])
    err = one_line_error(kubik("train", "--resume", run, "--data", tmp_path / "other.npz", "--val", va))
    assert "not the ones the run trained on" in err
    assert "validated on 200 samples; give them with --val" in one_line_error(kubik("train", "--resume", run,
                                                                                    "--data", tr))
    assert "--set and --threads change a config" in one_line_error(
        kubik("train", "--resume", run, "--data", tr, "--val", va, "--set", "train.epochs=3"))
    assert "--data and --val go with --resume" in one_line_error(kubik("train", "configs/digits_mlp.yaml",
                                                                       "--data", tr))


@pytest.mark.parametrize("case, fragment", [
    ("callbacks", "callbacks of the script (Note)"),
    ("unregistered", "the optimizer: MySGD is not a registered optimizer"),
    ("outside", "SGD updates 1 parameter(s) that are not the net's"),
    ("net", "the net: layer '0' (MyLinear): MyLinear is not a registered layer"),
])
def test_what_the_script_holds_is_named(tmp_path, data, case, fragment, capsys):
    if case == "callbacks":
        run = _folder(tmp_path, data, callbacks=[Note()], val=None)
    else:
        layers.seed(1)
        net = nets.Sequential((MyLinear if case == "net" else layers.Linear)(64, 10))
        extra = [layers.Parameter(np.zeros(3, np.float32))] if case == "outside" else []
        opt = (MySGD if case == "unregistered" else optim.SGD)(net.parameters() + extra, lr=0.1)
        folder, train, val = data
        nets.fit(net, losses.CrossEntropy(), opt, train, epochs=1, out=tmp_path / "r", **QUIET)
        run = tmp_path / "r"
    assert main(["train", "--resume", str(run), "--data", str(data[0] / "train.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err and "resume=True" in err, err


def test_yaml_runs_name_their_data(tmp_path, capsys):
    run = tmp_path / "y"
    run.mkdir()
    (run / "config.yaml").write_text("seed: 0\n")
    assert main(["train", "--resume", str(run), "--data", "digits"]) == 2
    assert "holds a YAML run, whose config names its data" in capsys.readouterr().err


def edit_record(folder, change):
    """Rewrite last.npz's resume record with ``change(record)``."""
    import json
    from kubik.nets.checkpoint.format import META
    with np.load(folder / "last.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays[META]))
    change(meta["python_run"])
    arrays[META] = np.array(json.dumps(meta))
    np.savez(folder / "last.npz", **arrays)


class StopAt(nets.Callback):
    def on_step_end(self, trainer, loss):
        if trainer.state["step"] == 50:
            trainer.request_stop("as Ctrl-C would")


def test_a_run_stopped_mid_epoch_continues_bitwise(tmp_path, data, capsys):
    folder, train, val = data
    sgd_run(tmp_path / "cut", train, val, 4, callbacks=[StopAt()])       # step 50 of 76: mid-epoch 3
    edit_record(tmp_path / "cut", lambda run: run["resume"].update(why=[]))   # as if stopped by Ctrl-C
    assert main(["train", "--resume", str(tmp_path / "cut"), "--data", str(folder / "train.npz"), "--val",
                 str(folder / "val.npz"), "--quiet"]) == 0
    assert "at epoch 3, step 50" in capsys.readouterr().out
    sgd_run(tmp_path / "full", train, val, 4)
    assert_same(weights(tmp_path / "cut"), weights(tmp_path / "full"))


def test_the_resume_checks_catch_a_record_that_does_not_fit(tmp_path, data, capsys):
    folder = data[0]
    args = ["train", "--resume", str(tmp_path / "r"), "--data", str(folder / "train.npz"), "--val",
            str(folder / "val.npz")]
    run = _folder(tmp_path, data)
    edit_record(run, lambda r: r["resume"]["settings"].update(clip_norm=2.0))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "written by different settings" in err and len(err.strip().splitlines()) == 1
    edit_record(run, lambda r: r.pop("resume"))           # a checkpoint from before runs recorded this
    assert main(args) == 2
    assert "before runs recorded their optimizer and settings" in capsys.readouterr().err


def test_epochs_flag_of_a_yaml_run_is_train_epochs(tmp_path, capsys):
    from kubik.nets import checkpoint
    run = tmp_path / "y"
    assert main(["train", "configs/spirals.yaml", "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert checkpoint.read(run / "last.npz").trainer["epoch"] == 1
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 0
    assert checkpoint.read(run / "last.npz").trainer["epoch"] == 2
    assert "epochs: 2" in (run / "config.yaml").read_text()


def test_an_optimizer_of_the_users_module_is_imported_again(tmp_path, data, monkeypatch):
    import sys
    folder, train, val = data
    (tmp_path / "my_optim.py").write_text(
        "from kubik import optim\n\n\n"
        "@optim.register(name='_TestSGDHalf')\n"
        "class SGDHalf(optim.SGD):\n"
        "    def __init__(self, params, lr=0.1, half=True):\n"
        "        super().__init__(params, lr=lr / 2 if half else lr, momentum=0.5)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_optim
    try:
        for out, epochs in (("a", 1), ("full", 2)):
            layers.seed(2)
            net = nets.Sequential(layers.Linear(64, 10))
            nets.fit(net, losses.CrossEntropy(), my_optim.SGDHalf(net.parameters(), lr=0.2), train, val=val,
                     epochs=epochs, out=tmp_path / out, **QUIET)
    finally:
        from kubik.optim import OPTIMIZERS
        del OPTIMIZERS._table["_TestSGDHalf"]
        sys.modules.pop("my_optim", None)
    proc = kubik("train", "--resume", tmp_path / "a", "--data", folder / "train.npz", "--val", folder / "val.npz",
                 "--epochs", 2, "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_same(weights(tmp_path / "a"), weights(tmp_path / "full"))
