"""``kubik train --resume RUN --data TRAIN --val VAL --epochs N`` on a run made
from Python: bitwise the weights of a Python resume (``fit(..., resume=True)``)
of a copy of the same folder, and of an uninterrupted run (refusals:
test_cli_resume_python_refusals.py)."""
import sys

import numpy as np

from kubik import layers, losses, nets
from kubik.nets.cli import main

from cli_run import kubik
from resume_runs import QUIET, adam_run, assert_same, data, edit_record, sgd_run, three_ways, weights  # noqa: F401


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


def test_epochs_flag_of_a_yaml_run_is_train_epochs(tmp_path, capsys):
    from kubik.nets import checkpoint
    run = tmp_path / "y"
    assert main(["train", "configs/spirals.yaml", "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert checkpoint.read(run / "last.npz").trainer["epoch"] == 1
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 0
    assert checkpoint.read(run / "last.npz").trainer["epoch"] == 2
    assert "epochs: 2" in (run / "config.yaml").read_text()


def test_an_optimizer_of_the_users_module_is_imported_again(tmp_path, data, monkeypatch):
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
