"""What ``kubik train`` prints (issue 29): ``--quiet`` is only the final result, warnings
and errors; ``--log-every N`` keeps epoch lines; the world-size line only with several
processes; the summary scores both the final weights and best.npz's (with its epoch
and how it was chosen); ``kubik eval`` says which weights it scored."""
import re

import pytest

from kubik.nets import checkpoint as K

from cli_run import ROOT, kubik

CONFIG = ROOT / "configs" / "digits_mlp.yaml"


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("q") / "run"
    proc = kubik("train", CONFIG, "--set", "train.epochs=6", "--out", run, "--quiet")
    assert proc.returncode == 0, proc.stderr
    return run, proc


def test_quiet_prints_only_the_final_result(quiet_run):
    run, proc = quiet_run
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3 and proc.stderr == "", proc.stdout + proc.stderr
    assert re.fullmatch(r"test split, final weights \(last\.npz, epoch 6\): loss \d\.\d{4}, accuracy \d+\.\d\d% "
                        r"on 359 samples", lines[0]), lines[0]
    assert lines[1].startswith("test split, best weights (best.npz, epoch ")
    assert "the lowest val_loss" in lines[1]
    assert lines[2].startswith("trained ") and f"plot it with: kubik plot {run}" in lines[2]
    assert not any(l.startswith(("epoch ", "world size", "run folder ")) for l in lines)


def test_best_weights_are_scored_as_best_npz_scores(quiet_run):
    run, proc = quiet_run
    best = K.read(run / "best.npz").trainer
    summary = proc.stdout.splitlines()[1]
    ev = kubik("eval", run)
    assert ev.returncode == 0, ev.stderr
    assert ev.stdout.startswith(f"{run / 'best.npz'} (the weights of epoch {best['epoch']}, chosen for the lowest "
                                f"val_loss {float(best['best']):.4g}): test split, 359 samples")
    if best["epoch"] != 6:
        loss = re.search(r"\): loss (\d\.\d{4})", summary).group(1)
        assert f"loss {loss}" in ev.stdout
    last = kubik("eval", run / "last.npz")
    assert last.stdout.startswith(f"{run / 'last.npz'} (the final weights of epoch 6, step ")
    final = re.search(r"accuracy (\d+\.\d\d)%", proc.stdout.splitlines()[0]).group(1)
    assert f"accuracy {final}%" in last.stdout


def test_log_every_keeps_epoch_lines_and_no_world_line_for_one_process(tmp_path):
    proc = kubik("train", CONFIG, "--set", "train.epochs=4", "--out", tmp_path / "a", "--quiet", "--log-every", "2")
    assert proc.returncode == 0, proc.stderr
    assert [l.split()[1] for l in proc.stdout.splitlines() if l.startswith("epoch ")] == ["2/4", "4/4"]
    proc = kubik("train", CONFIG, "--set", "train.epochs=2", "--out", tmp_path / "b")
    assert proc.returncode == 0, proc.stderr
    assert "world size" not in proc.stdout and proc.stdout.count("\nepoch ") + proc.stdout.startswith("epoch") == 2
    assert "run folder" in proc.stdout.splitlines()[0]


def test_best_weights_that_are_the_final_ones_say_so(tmp_path):
    proc = kubik("train", CONFIG, "--set", "train.epochs=1", "--out", tmp_path / "r", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].endswith("): the final ones")


def test_quiet_still_prints_warnings_on_stderr(tmp_path):
    proc = kubik("train", CONFIG, "--set", "train.epochs=3", "--set", "schedule.T_max=2", "--out", tmp_path / "r",
                 "--quiet")
    assert proc.returncode == 0 and proc.stderr.startswith("warning: CosineAnnealingLR: T_max 2"), proc.stderr
    assert "warning" not in proc.stdout
