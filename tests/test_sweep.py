"""``kubik sweep`` end to end on a tiny digits MLP, with the study in an SQLite
file (or a journal file) in a temporary folder: trials as run folders, two
worker processes, a sweep killed with SIGKILL and run again, pruning, the
report and best.yaml, deterministic single-process reruns. Bad input is in
test_sweep_errors.py, the parts in isolation in test_sweep_parts.py."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

pytest.importorskip("optuna")
import optuna  # noqa: E402

from cli_run import ROOT, kubik  # noqa: E402
from kubik.nets import checkpoint as K  # noqa: E402
from kubik.nets.cli import main  # noqa: E402

TINY = """\
seed: 3
data: {name: digits}
model:
  - Linear: {out_features: 8}
  - ReLU
  - Linear: {out_features: 10}
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
train: {epochs: 2, batch_size: 128}
sweep:
  params:
    optimizer.lr: loguniform(1e-3, 0.5)
    model[0].Linear.out_features: choice(4, 8, 16)
  metric: val_accuracy
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def study_of(out, name="tiny"):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{out / 'study.db'}")


def ok(proc):
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc.stdout


def test_two_jobs_give_six_distinct_trials_and_six_run_folders(tiny, tmp_path):
    out = tmp_path / "sweep"
    text = ok(kubik("sweep", tiny, "--trials", 6, "--jobs", 2, "--no-prune", "--out", out))
    trials = study_of(out).trials
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert len({(t.params["optimizer.lr"], t.params["model[0].Linear.out_features"]) for t in trials}) == 6
    folders = sorted(p.name for p in out.glob("trial-*"))
    assert folders == [f"trial-{k:04d}" for k in range(6)]
    assert "[worker 0]" in text and "[worker 1]" in text
    for t in trials:        # each folder: an ordinary run of the trial's parameters and seed base + k
        run = out / f"trial-{t.number:04d}"
        cfg = yaml.safe_load((run / "config.yaml").read_text())
        assert cfg["optimizer"]["lr"] == t.params["optimizer.lr"] and cfg["seed"] == 3 + t.number
        assert cfg["model"][0] == {"Linear": {"out_features": t.params["model[0].Linear.out_features"]}}
        assert "sweep" not in cfg and cfg["train"]["checkpoint"]["monitor"] == "val_accuracy"
        record = yaml.safe_load((run / "trial.yaml").read_text())
        assert record["state"] == "complete" and record["value"] == t.value and record["trial"] == t.number
        metrics = [float(r.split(",")[4]) for r in (run / "metrics.csv").read_text().splitlines()[1:]]
        assert t.value == pytest.approx(max(metrics), abs=1e-6) and len(metrics) == 2
    assert (out / "best.yaml").is_file()


def test_eval_plot_and_resume_work_on_a_trial_folder(tiny, tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", str(tiny), "--trials", "1", "--out", str(out)]) == 0
    run = out / "trial-0000"
    assert main(["eval", str(run)]) == 0 and "test split, 359 samples" in capsys.readouterr().out
    assert main(["train", "--resume", str(run), "--set", "train.epochs=3", "--quiet"]) == 0
    assert len((run / "metrics.csv").read_text().splitlines()) == 1 + 3
    pytest.importorskip("matplotlib")
    assert main(["plot", str(run)]) == 0 and main(["plot", str(out)]) == 0
    assert "plot.png" in capsys.readouterr().out and (out / "sweep.png").stat().st_size > 10_000


def _wait_for(predicate, proc, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("timed out")


def _rows(path):
    return len(path.read_text().splitlines()) - 1 if path.is_file() else 0


def test_sigkill_mid_trial_then_rerun_completes_the_requested_trials(tiny, tmp_path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "kubik", "sweep", str(tiny), "--trials", "3", "--no-prune", "--out", str(out),
           "--set", "train.epochs=60", "--set", "train.batch_size=32"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: _rows(out / "trial-0001" / "metrics.csv") >= 2, proc)      # trial 1 is mid-way
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    states = {t.number: t.state.name for t in study_of(out).trials}
    assert states == {0: "COMPLETE", 1: "RUNNING"}
    text = ok(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300))
    assert "marked failed: trial 1, left running by a sweep that was killed" in text
    trials = study_of(out).trials
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers)) == 4
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    record = yaml.safe_load((out / "trial-0001" / "trial.yaml").read_text())
    assert record["state"] == "failed" and "killed" in record["message"]
    assert sorted(p.name for p in out.glob("trial-*")) == [f"trial-{k:04d}" for k in range(4)]


def test_pruned_trial_stops_early_and_its_folder_says_so(tiny, tmp_path):
    out = tmp_path / "sweep"
    text = ok(kubik("sweep", tiny, "--trials", 2, "--out", out, "--set", "train.epochs=4",
                    "--set", "sweep.pruner={name: ThresholdPruner, lower: 0.99}"))    # below 99 % val accuracy
    assert text.count(": pruned") == 2
    for t in study_of(out).trials:
        assert t.state == optuna.trial.TrialState.PRUNED and list(t.intermediate_values) == [1]
        run = out / f"trial-{t.number:04d}"
        record = yaml.safe_load((run / "trial.yaml").read_text())
        assert record["state"] == "pruned" and "pruned by ThresholdPruner" in record["message"]
        assert record["epochs"] == 1 and K.read(run / "last.npz").trainer["epoch"] == 1
    assert "no trial has completed yet" in text


def test_report_table_and_best_yaml_reproduce_the_best_trial(tiny, tmp_path):
    out = tmp_path / "sweep"
    ok(kubik("sweep", tiny, "--trials", 3, "--no-prune", "--out", out))
    text = ok(kubik("sweep", out, "--report"))
    lines = text.splitlines()
    assert lines[0].startswith("study 'tiny': 3 trials (3 complete); maximize val_accuracy")
    assert lines[1].split() == ["trial", "state", "optimizer.lr", "model[0].Linear.out_features", "val_accuracy",
                                "epochs", "seconds"]
    study = study_of(out)
    best = study.best_trial
    for t, row in zip(study.trials, lines[2:5]):
        cells = row.split()
        assert cells[:2] == [str(t.number), "complete"] and float(cells[2]) == pytest.approx(t.params["optimizer.lr"],
                                                                                                rel=1e-3)
        assert cells[3] == str(t.params["model[0].Linear.out_features"]) and cells[5] == "2"
        assert float(cells[4]) == pytest.approx(t.value, abs=1e-4)
    assert f"best: trial {best.number}, val_accuracy" in text
    cfg = yaml.safe_load((out / "best.yaml").read_text())
    assert cfg["optimizer"]["lr"] == best.params["optimizer.lr"] and cfg["seed"] == 3 + best.number
    assert "sweep" not in cfg
    ok(kubik("train", out / "best.yaml", "--out", tmp_path / "again", "--quiet"))      # the same run, bit for bit
    a = K.read(tmp_path / "again" / "last.npz").model_state()
    b = K.read(out / f"trial-{best.number:04d}" / "last.npz").model_state()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_single_process_sweep_is_deterministic_and_a_rerun_continues(tiny, tmp_path):
    runs = []
    for name in ("a", "b"):
        ok(kubik("sweep", tiny, "--trials", 3, "--out", tmp_path / name))
        runs.append([(t.params, t.value) for t in study_of(tmp_path / name).trials])
    assert runs[0] == runs[1]
    text = ok(kubik("sweep", tiny, "--trials", 4, "--out", tmp_path / "a"))      # the same command, one more
    assert "4 trials, 3 taken" in text
    trials = study_of(tmp_path / "a").trials
    assert len(trials) == 4 and trials[3].params not in [p for p, _ in runs[0]]


def test_journal_file_storage_and_continuing_from_the_folder(tiny, tmp_path):
    journal = tmp_path / "study.log"
    out = tmp_path / "sweep"
    ok(kubik("sweep", tiny, "--trials", 2, "--storage", f"journal:{journal}", "--out", out))
    assert journal.stat().st_size > 0 and not (out / "study.db").exists()
    text = ok(kubik("sweep", out, "--trials", 3))
    assert "3 trials, 2 taken" in text
    study = optuna.load_study(study_name="tiny", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))))
    assert [t.number for t in study.trials] == [0, 1, 2]


def test_the_shipped_sweep_config_runs_and_trains_on_its_own(tmp_path):
    config = ROOT / "configs" / "sweeps" / "digits_mlp_sweep.yaml"
    short = ["--set", "train.epochs=2", "--set", "schedule.T_max=2"]
    text = ok(kubik("sweep", config, "--trials", 2, "--out", tmp_path / "sweep", *short))
    assert "minimize val_loss over optimizer.lr, model[0].Linear.out_features, optimizer.weight_decay, " \
           "train.batch_size; 2 trials" in text
    assert len(study_of(tmp_path / "sweep", "digits_mlp_sweep").trials) == 2
    assert "test split, final weights" in ok(kubik("train", config, "--out", tmp_path / "plain", "--quiet", *short))
