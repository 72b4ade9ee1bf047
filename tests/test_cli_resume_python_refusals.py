"""``kubik train --resume`` of a run made from Python that it cannot continue:
one line naming why, exit 2 (missing or other data, what lives only in the
script, a record the resume checks refuse)."""
import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets.cli import main

from cli_run import kubik, one_line_error
from resume_runs import QUIET, data, edit_record  # noqa: F401


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
