"""The parts of nets.sweep in isolation: spaces, the pruning callback against
Optuna's median pruner on a deterministic toy objective, the command line
over the sweep section, stale-trial detection, the Python entry point, and
the install hint when Optuna is missing."""
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("optuna")
import optuna  # noqa: E402

from kubik.nets import sweep  # noqa: E402
from kubik.nets.cli import main  # noqa: E402
from kubik.nets.config import ConfigError, load  # noqa: E402
from kubik.nets.sweep import settings as S  # noqa: E402
from kubik.nets.sweep.stale import _gone, fail_stale, heartbeat, process_token  # noqa: E402
from test_sweep import TINY  # noqa: E402


def test_spaces_parse_to_optuna_distributions():
    d = optuna.distributions
    assert sweep.parse_space("loguniform(1e-4, 1e-1)").distribution() == d.FloatDistribution(1e-4, 0.1, log=True)
    assert sweep.parse_space(" uniform(0, 1) ").distribution() == d.FloatDistribution(0.0, 1.0)
    assert sweep.parse_space("int(16, 256)").distribution() == d.IntDistribution(16, 256)
    c = sweep.parse_space("choice(SGD, 'Adam', true, null, 0.5, 3)")
    assert c.distribution() == d.CategoricalDistribution(["SGD", "Adam", True, None, 0.5, 3])
    assert c.candidates() == ["SGD", "Adam", True, None, 0.5, 3]
    assert sweep.parse_space("uniform(1, 2)").candidates() == [1.0, 2.0]       # floats: checked as floats
    assert sweep.parse_space("int(1, 2)").candidates() == [1, 2]
    for bad, why in [("int(1.5, 3)", "must be integers"), ("uniform(a, b)", "must be numbers"),
                     ("uniform(1)", "two bounds"), ("choice([1, 2], 3)", "a choice must be a number"),
                     ("choice(1, 1)", "listed twice"), ("choice(7)", "a single value"), ("loguniform(-1, 1)", "above 0"),
                     ("int(3, 3)", "an empty space"), ("lognormal(0, 1)", "is not a space"), (0.1, "expected a space")]:
        with pytest.raises(ConfigError, match=why):
            sweep.parse_space(bad)


class FakeTrainer:
    def __init__(self):
        self.stopped = None

    def request_stop(self, reason):
        self.stopped = reason


def test_median_pruner_stops_a_trial_worse_than_the_median():
    """Toy objective: trial k reports the same value v_k at epochs 1..4; the median pruner (no
    warm-up, 3 start-up trials) must stop the trial whose value is above the others' median at
    epoch 1 and let a better one run on."""
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0))

    def run(v):
        trial = study.ask()
        cb, tr = sweep.TrialCallback(trial, "val_loss", pruner_name="MedianPruner"), FakeTrainer()
        for epoch in range(1, 5):
            cb.on_epoch_end(tr, {"epoch": epoch, "val_loss": v, "val_accuracy": None})
            if tr.stopped:
                break
        study.tell(trial, state=optuna.trial.TrialState.PRUNED) if cb.pruned else study.tell(trial, v)
        return cb, tr

    for v in (1.0, 2.0, 3.0):                   # start-up trials: never pruned
        cb, tr = run(v)
        assert not cb.pruned and len(cb.values) == 4
    cb, tr = run(2.5)                           # worse than the median 2.0 at epoch 1
    assert cb.pruned and cb.values == [(1, 2.5)] and tr.stopped == "pruned by MedianPruner: val_loss 2.5"
    cb, tr = run(1.5)                           # better than the median: trains all 4 epochs
    assert not cb.pruned and tr.stopped is None and cb.best("minimize") == (1, 1.5)
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "COMPLETE"]


def test_epochs_without_the_metric_are_not_reported():
    study = optuna.create_study()
    trial = study.ask()
    cb = sweep.TrialCallback(trial, "val_loss")
    cb.on_epoch_end(FakeTrainer(), {"epoch": 1, "val_loss": None})
    cb.on_epoch_end(FakeTrainer(), {"epoch": 2, "val_loss": 0.5})
    assert cb.values == [(2, 0.5)] and study.trials[0].intermediate_values == {2: 0.5}


def _args(**given):
    names = ("param", "trials", "jobs", "metric", "direction", "study", "storage", "out", "sampler_seed")
    return SimpleNamespace(**{n: given.get(n) for n in names}, no_prune=given.get("no_prune", False))


def test_the_command_line_wins_over_the_sweep_section(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY + "  trials: 7\n  study: mine\n  pruner: {name: MedianPruner, n_startup_trials: 2}\n")
    cfg, source = load(path)
    s = S.settings(cfg, path, _args(), source)
    assert (s.trials, s.jobs, s.metric, s.direction, s.study) == (7, 1, "val_accuracy", "maximize", "mine")
    assert list(s.params) == ["optimizer.lr", "model[0].Linear.out_features"] and s.sampler_seed == 3
    assert s.pruner == {"name": "MedianPruner", "n_startup_trials": 2} and s.out == Path("runs") / "tiny-sweep"
    s = S.settings(cfg, path, _args(param=["optimizer.lr=uniform(0.01, 0.1)", "train.batch_size=choice(32, 64)"],
                                    trials=3, metric="val_loss", study="x", no_prune=True, sampler_seed=9), source)
    assert s.params["optimizer.lr"].text == "uniform(0.01, 0.1)" and list(s.params)[-1] == "train.batch_size"
    assert (s.trials, s.metric, s.direction, s.study, s.pruner, s.sampler_seed) == (3, "val_loss", "minimize", "x",
                                                                                  None, 9)
    assert s.sources["optimizer.lr"] == "--param optimizer.lr=uniform(0.01, 0.1)"
    assert s.sources["model[0].Linear.out_features"] == f"{path}:12"


def test_a_trial_of_a_process_that_is_gone_is_stale():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = process_token(int(done.stdout))
    assert _gone(dead.rsplit(":", 1)[0] + ":")          # that pid no longer exists
    assert not _gone(process_token())                    # this process
    assert not _gone("another-host:1:123")               # another machine's: its heartbeat decides
    assert not _gone(None)


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used with Study.optimize")
def test_a_trial_whose_heartbeat_stopped_is_marked_failed(tmp_path):
    """The server-database path (Optuna's heartbeat), on an SQLite file with a 1 s grace period."""
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 's.db'}", heartbeat_interval=1, grace_period=1)
    study = optuna.create_study(storage=storage)
    trial = study.ask()
    trial.set_user_attr("process", "another-host:1:1")     # not this host's: only the heartbeat can tell
    with heartbeat(storage, trial):
        time.sleep(0.1)
    lines = []
    assert fail_stale(study, tmp_path, lines.append) == []      # still within its grace period
    time.sleep(2.2)
    assert fail_stale(study, tmp_path, lines.append) == [0]
    assert study.trials[0].state == optuna.trial.TrialState.FAIL and "trial 0" in lines[0]


def test_python_entry_point_runs_reports_and_continues(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    lines = []
    result = sweep.run(path, {"optimizer.lr": "loguniform(0.01, 0.3)"}, trials=2, out=tmp_path / "s", prune=False,
                       log=lines.append)
    assert result.status == "finished" and result.out == tmp_path / "s" and result.study == "tiny"
    assert set(result.best["params"]) == {"optimizer.lr", "model[0].Linear.out_features"}
    rows, s = sweep.trials(tmp_path / "s")
    assert [r["state"] for r in rows] == ["complete", "complete"] and s.metric == "val_accuracy"
    assert result.best["value"] == max(r["value"] for r in rows)
    again = sweep.resume(tmp_path / "s", trials=3, log=lines.append)
    assert again.status == "finished" and len(sweep.trials(tmp_path / "s")[0]) == 3
    assert sweep.report(tmp_path / "s", log=lines.append)["number"] == again.best["number"]


def test_missing_optuna_is_a_one_line_install_hint(tmp_path, capsys, monkeypatch):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    monkeypatch.setitem(sys.modules, "optuna", None)
    assert main(["sweep", str(path), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['error: kubik sweep needs Optuna: pip install "kubik[sweep]" (or pip install -e ".[sweep]" in a '
                   'checkout)']
    assert not (tmp_path / "s").exists()
