"""'auto' horizons in a run (issue 29): the shipped configs' cosine follows
``--set train.epochs`` and ``--epochs`` on resume, a per-step schedule gets the
run's optimizer steps, and an explicit horizon shorter than the run is a warning."""
import csv
import math
import re

import numpy as np

from kubik import layers, losses, nets, optim

from cli_run import ROOT, kubik


def _lrs(run):
    with open(run / "metrics.csv") as f:
        return [float(r["lr"]) for r in csv.DictReader(f)]


def test_shipped_configs_use_auto_horizons():
    cosine = [p for p in (ROOT / "configs").rglob("*.yaml") if "CosineAnnealingLR" in p.read_text()]
    assert len(cosine) >= 10
    for path in cosine:
        assert "T_max: auto" in path.read_text() and not re.search(r"T_max: \d", path.read_text()), path


def test_cosine_follows_the_epochs_of_the_run_and_of_the_resume(tmp_path):
    run = tmp_path / "run"
    r = kubik("train", ROOT / "configs" / "digits_mlp.yaml", "--set", "train.epochs=2", "--out", run, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stdout + r.stderr
    assert _lrs(run) == [0.05, 0.025]           # T_max = 2: half way down at the second epoch
    r = kubik("train", "--resume", run, "--epochs", "4", "--quiet")
    assert r.returncode == 0, r.stderr
    lrs = _lrs(run)
    # stretched to 4 epochs from epoch 2 on: lr(e) = 0.025 (1 + cos(pi e / 4)), not the old curve back up
    assert np.allclose(lrs[2:], [0.025 * (1 + math.cos(math.pi * e / 4)) for e in (2, 3)], rtol=1e-5)
    assert lrs[3] < lrs[2] <= lrs[1]           # without auto: 0 at epoch 3, then back up)


def test_explicit_horizon_shorter_than_the_run_is_one_warning(tmp_path):
    r = kubik("train", ROOT / "configs" / "digits_mlp.yaml", "--set", "train.epochs=3", "--set", "schedule.T_max=2",
              "--out", tmp_path / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    warnings = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("warning:")]
    assert warnings == ["warning: CosineAnnealingLR: T_max 2 is shorter than the run (3 epochs): past 2 epochs "
                        "the learning rate climbs back up; T_max: auto follows the run's length"]


def test_per_step_auto_horizon_is_the_runs_optimizer_steps():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)).astype(np.float32), rng.integers(0, 2, 40)
    layers.seed(0)
    net = nets.Sequential(layers.Linear(3, 2))
    opt = optim.SGD(net.parameters(), lr=0.1)
    sched = optim.PolyLR(opt, max_iter="auto")
    notes = []
    nets.fit(net, losses.CrossEntropy(), opt, nets.DataLoader(X, y, 8, shuffle=False), epochs=3,
             schedule=sched, schedule_interval="step", accumulate=2, log=notes.append, progress=False)
    assert sched.max_iter == 3 * 3           # 5 batches, 2 per step: 3 optimizer steps an epoch
    assert opt.lr == 0.0 and not [n for n in notes if n.startswith("warning")]
