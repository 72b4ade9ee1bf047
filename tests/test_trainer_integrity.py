"""Data integrity of run folders (issue 10): a diverged run is never a
success, a checkpoint called good is good, best.npz never goes stale (a
SIGKILL inside its write), metrics.csv / config.yaml are rewritten
atomically, and a run that failed before its first checkpoint is no dead end."""
import csv
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets import checkpoint as K
from kubik.nets.cli import main
from kubik.nets.trainer import files, monitoring

ROOT = pathlib.Path(__file__).parent.parent
MLP = str(ROOT / "configs" / "digits_mlp.yaml")


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_divergent_last_step_is_a_failure_naming_the_step(capsys, tmp_path):
    """One step per epoch: the loss of step 1 is finite, its update is not."""
    code, out, err = run_cli(capsys, "train", MLP, "--set", "optimizer.lr=1e30", "--set", "train.batch_size=5000",
                             "--set", "train.epochs=1", "--out", tmp_path / "run", "--quiet")
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "after step 1, the last of epoch 1" in err and "no checkpoint had been written yet" in err
    assert not (tmp_path / "run" / "last.npz").exists() and not (tmp_path / "run" / "best.npz").exists()
    assert "best val_loss nan" not in out


def test_no_dead_end_after_a_failure_before_the_first_checkpoint(capsys, tmp_path):
    run_cli(capsys, "train", MLP, "--set", "optimizer.lr=1e30", "--set", "train.batch_size=5000",
            "--set", "train.epochs=3", "--out", tmp_path / "run", "--quiet")
    (tmp_path / "run" / ".last.npz.tmp-999999").write_bytes(b"PK\x03\x04 a write killed half way")
    code, _, err = run_cli(capsys, "train", "--resume", tmp_path / "run")
    assert code == 2 and "has no last.npz" in err and f"kubik train {tmp_path / 'run' / 'config.yaml'} --out" in err
    code, out, err = run_cli(capsys, "train", MLP, "--set", "train.epochs=2", "--out", tmp_path / "run")
    assert code == 0, err
    assert "starting afresh" in out and K.read(tmp_path / "run" / "last.npz").trainer["epoch"] == 2
    assert not list((tmp_path / "run").glob(".*tmp*"))
    with open(tmp_path / "run" / "metrics.csv") as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["1", "2"]
    code, _, err = run_cli(capsys, "train", MLP, "--out", tmp_path / "run", "--quiet")   # now it holds a run
    assert code == 2 and "already holds a run" in err


class Blowup(nets.Callback):
    """Raise the learning rate to 1e30 after epoch 1."""

    def on_epoch_end(self, trainer, row):
        trainer.optimizer.lr = 1e30


def test_the_kept_checkpoint_is_good(tmp_path):
    X, y = nets.datasets.load("digits")
    X = (X / 16).astype(np.float32)
    layers.seed(0)
    net = nets.Sequential(layers.Linear(64, 32), layers.ReLU(), layers.Linear(32, 10))
    opt = optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(nets.Diverged) as e, np.errstate(all="ignore"):
        nets.fit(net, losses.CrossEntropy(), opt, (X[:1500], y[:1500]), val=(X[1500:], y[1500:]), epochs=3,
                 out=tmp_path / "run", callbacks=[Blowup()], progress=False, log=lambda *a: None)
    msg = str(e.value)
    assert "at step 48 (epoch 2, batch 1/47)" in msg or "at step 49 (epoch 2, batch 2/47)" in msg, msg
    assert "the last good checkpoint" in msg and "(epoch 1, step 47" in msg
    for name in ("last.npz", "best.npz"):
        ck = K.read(tmp_path / "run" / name)
        assert ck.trainer["epoch"] == 1 and ck.trainer["best"] is not None and np.isfinite(ck.trainer["best"])
        fresh = nets.Sequential(layers.Linear(64, 32), layers.ReLU(), layers.Linear(32, 10))
        K.restore(ck, fresh, weights_only=True)
        loss, _ = nets.evaluate(fresh, losses.CrossEntropy(), (X[1500:], y[1500:]))
        assert np.isfinite(loss) and loss == pytest.approx(ck.trainer["best"], rel=1e-5)


def test_nan_never_becomes_a_best_value():
    assert not monitoring.improved(float("nan"), None, "val_loss", 0.0)
    assert not monitoring.improved(float("inf"), 1.0, "val_accuracy", 0.0)
    assert monitoring.improved(0.5, None, "val_loss", 0.0)


KILL_IN_BEST_WRITE = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from kubik.nets.cli import main
    savez, writes = np.savez, []

    def killing_savez(f, **arrays):       # the 2nd write of best.npz dies half way, as under SIGKILL
        if ".best.npz.tmp" in getattr(f, "name", ""):
            writes.append(1)
            if len(writes) == 2:
                f.write(b"PK\\x03\\x04 half a checkpoint")
                f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
        return savez(f, **arrays)

    np.savez = killing_savez
    sys.exit(main(sys.argv[1:]))
""")


def test_best_is_never_stale_after_a_kill_inside_its_write(capsys, tmp_path):
    args = ["train", MLP, "--set", "train.epochs=2", "--quiet"]
    code, _, _ = run_cli(capsys, *args, "--out", tmp_path / "ref")
    ref = K.read(tmp_path / "ref" / "best.npz")
    assert code == 0 and ref.trainer["epoch"] == 2          # epoch 2 improves val_loss: the 2nd best write
    proc = subprocess.run([sys.executable, "-c", KILL_IN_BEST_WRITE, *args, "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    code, out, err = run_cli(capsys, "train", "--resume", tmp_path / "run", "--quiet")
    assert code == 0, err
    last, best = K.read(tmp_path / "run" / "last.npz"), K.read(tmp_path / "run" / "best.npz")
    assert best.trainer["epoch"] == last.trainer["best_epoch"] == 2
    for k, v in ref.model_state().items():
        assert np.array_equal(v, best.model_state()[k]), k
    assert not list((tmp_path / "run").glob(".*tmp*"))


def test_metrics_and_config_are_rewritten_atomically_on_resume(capsys, tmp_path, monkeypatch):
    run = tmp_path / "run"
    code, _, _ = run_cli(capsys, "train", MLP, "--set", "train.epochs=1", "--out", run, "--quiet")
    assert code == 0
    before = {p: (run / p).read_bytes() for p in ("metrics.csv", "config.yaml")}

    def crash(src, dst):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(files.os, "replace", crash)
    code, _, err = run_cli(capsys, "train", "--resume", run, "--set", "train.epochs=2", "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "simulated" in err, err   # one line, no traceback
    assert {p: (run / p).read_bytes() for p in before} == before       # old contents, whole
    assert not list(run.glob(".*tmp*"))


@pytest.mark.parametrize("sets, want", [
    (["train.clip_norm=.inf"], "--set train.clip_norm=.inf: train.clip_norm: must be a finite number > 0"),
    (["train.early_stopping.min_delta=.nan"], "train.early_stopping.min_delta: must be a finite number >= 0, got nan"),
    (["train.drop_last=true", "train.batch_size=5000"], "train.batch_size: 5000 is larger than the 1294 training"),
])
def test_training_settings_out_of_range_are_one_placed_line(capsys, tmp_path, sets, want):
    args = [a for s in sets for a in ("--set", s)]
    code, _, err = run_cli(capsys, "train", MLP, *args, "--out", tmp_path / "run", "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1 and want in err and "--set" in err, err
    assert not (tmp_path / "run").exists()
