"""The training loop in process: exact resume from a mid-epoch checkpoint,
accumulation and clipping, NaN stop, early stopping, metrics.csv.
(Resume after a real SIGKILL / SIGINT of the command is in test_cli.py.)"""
import csv

import numpy as np
import pytest

from kubik.nets import build as B
from kubik.nets import checkpoint as K
from kubik.nets import config as C
from kubik.nets.trainer import Diverged, Trainer

BASE = """\
seed: 1
data: {name: digits}
model:
  - Linear: {out_features: 32}
  - ReLU
  - Dropout: 0.2
  - Linear: {out_features: 10}
optimizer: {name: SGD, lr: 0.05, momentum: 0.9}
schedule: {name: StepLR, step_size: 20, gamma: 0.7, interval: step}
train: {epochs: 3, batch_size: 16, accumulate: 2, clip_norm: 1.0, progress: false}
"""


def experiment(sets=(), text=BASE):
    cfg, _ = C.load("t.yaml", sets, text=text)
    return B.build(cfg)


def run(path, sets=(), stop_after=None, text=BASE):
    """Train in ``path``; with ``stop_after`` steps, stop there as Ctrl-C would."""
    exp = experiment(sets, text)
    tr = Trainer(exp, path, log=lambda *a: None)
    if stop_after is not None:
        step = exp.optimizer.step

        def counting_step():
            step()
            if exp.optimizer.step_count == stop_after:
                tr._stop = True
        exp.optimizer.step = counting_step
    return exp, tr, tr.fit()


def weights(path):
    return K.read(path).model_state()


def test_resume_mid_epoch_is_bit_identical(tmp_path):
    _, _, ref = run(tmp_path / "ref")
    assert ref.status == "finished"
    _, tr, res = run(tmp_path / "cut", stop_after=57)           # mid-epoch 2 (41 steps of 2 micro-batches per epoch)
    assert res.status == "interrupted" and tr.state["epoch"] == 1 and tr.state["pos"] == 32
    exp2 = experiment()
    tr2 = Trainer(exp2, tmp_path / "cut", log=lambda *a: None)
    tr2.restore(K.read(tmp_path / "cut" / "last.npz"))
    assert tr2.fit().status == "finished"
    a, b = weights(tmp_path / "ref" / "last.npz"), weights(tmp_path / "cut" / "last.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    with open(tmp_path / "ref" / "metrics.csv") as f1, open(tmp_path / "cut" / "metrics.csv") as f2:
        r1, r2 = list(csv.DictReader(f1)), list(csv.DictReader(f2))
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in r1]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in r2] and len(r1) == 3


def test_a_different_stop_point_differs_from_no_resume(tmp_path):
    """Negative control: without the restored generators the result changes."""
    _, _, _ = run(tmp_path / "ref")
    _, tr, _ = run(tmp_path / "cut", stop_after=57)
    exp2 = experiment()
    tr2 = Trainer(exp2, tmp_path / "cut", log=lambda *a: None)
    tr2.restore(K.read(tmp_path / "cut" / "last.npz"))
    tr2.train_data.load_state_dict({"order": None, "pos": 0,     # lose the data-order state
                                    "rng": np.random.default_rng(99).bit_generator.state})
    tr2.fit()
    a, b = weights(tmp_path / "ref" / "last.npz"), weights(tmp_path / "cut" / "last.npz")
    assert not all(np.array_equal(a[k], b[k]) for k in a)


def test_accumulation_equals_a_larger_batch(tmp_path):
    sets = ["model[2]={Dropout: 0.0}", "schedule=null", "train.clip_norm=null", "train.epochs=1"]
    exp_a, _, _ = run(tmp_path / "a", sets + ["train.batch_size=8", "train.accumulate=4"])
    exp_b, _, _ = run(tmp_path / "b", sets + ["train.batch_size=32", "train.accumulate=1"])
    assert exp_a.optimizer.step_count == exp_b.optimizer.step_count == 41   # ceil(1294 / 32), last one short
    for (n, a), (_, b) in zip(exp_a.net.state_dict().items(), exp_b.net.state_dict().items()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=n)


def test_clip_value_bounds_every_update(tmp_path):
    sets = ["model[2]={Dropout: 0.0}", "schedule=null", "train.clip_norm=null", "train.clip_value=0.001",
            "optimizer.momentum=0", "optimizer.lr=1.0", "train.epochs=1", "train.accumulate=1"]
    exp0 = experiment(sets)
    w0 = exp0.net.state_dict()
    exp, _, _ = run(tmp_path / "c", sets)
    steps = exp.optimizer.step_count
    for k, v in exp.net.state_dict().items():
        assert np.abs(v - w0[k]).max() <= 1.0 * 0.001 * steps * (1 + 1e-5), k


def test_nan_loss_stops_naming_the_step_and_keeps_the_checkpoint(tmp_path):
    sets = ["optimizer.lr=1e4", "optimizer.momentum=0", "schedule=null", "train.clip_norm=null",
            "train.checkpoint.every_steps=1", "train.accumulate=1", "model[2]={Dropout: 0.0}"]
    exp = experiment(sets)
    tr = Trainer(exp, tmp_path / "nan", log=lambda *a: None)
    with pytest.raises(Diverged) as e:
        with np.errstate(all="ignore"):
            tr.fit()
    msg = str(e.value)
    step = tr.state["step"] + 1
    # last.npz was written mid-epoch (every step): finite weights, but never validated, so not called good
    assert f"at step {step} " in msg and "kept to resume from" in msg and "\n" not in msg
    assert "no validated checkpoint exists yet" in msg
    kept = K.read(tmp_path / "nan" / "last.npz")
    assert kept.trainer["step"] == step - 1
    assert all(np.all(np.isfinite(v)) for v in kept.model_state().values())


def test_early_stopping_and_metrics_columns(tmp_path):
    sets = ["train.epochs=30", "train.early_stopping.patience=2", "train.early_stopping.min_delta=10.0",
            "train.accumulate=1"]
    _, tr, res = run(tmp_path / "es", sets)
    assert res.status == "early_stopped" and res.epoch == 3 and "early stopping after epoch 3" in res.message
    with open(tmp_path / "es" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "step", "train_loss", "val_loss", "val_accuracy", "lr", "seconds"]
    assert [r["epoch"] for r in rows] == ["1", "2", "3"] and rows[-1]["step"] == str(3 * 81)
    assert 0.5 < float(rows[-1]["val_accuracy"]) <= 1.0 and float(rows[0]["lr"]) == pytest.approx(0.05 * 0.7 ** 4)   # lr of step 81
    again = Trainer(experiment(sets), tmp_path / "es", log=lambda *a: None)
    again.restore(K.read(tmp_path / "es" / "last.npz"))
    assert again.fit().status == "already_done"


def test_early_stopping_on_a_maximized_metric_needs_a_rise_of_min_delta(tmp_path):
    """val_accuracy is maximized: an epoch counts as better only when it rises by more than
    min_delta. With 0.5 nothing after the first epoch does, so patience 2 stops at epoch 3
    (with the sign of a minimized metric every epoch would count, and the run would go on)."""
    sets = ["train.epochs=12", "train.early_stopping.patience=2", "train.early_stopping.min_delta=0.5",
            "train.early_stopping.monitor=val_accuracy", "train.accumulate=1"]
    _, tr, res = run(tmp_path / "acc", sets)
    assert res.status == "early_stopped" and res.epoch == 3 and "val_accuracy has not improved" in res.message
    with open(tmp_path / "acc" / "metrics.csv") as f:
        accs = [float(r["val_accuracy"]) for r in csv.DictReader(f)]
    assert tr.state["es_best"] == accs[0] and accs[2] > accs[0]        # better, but by less than 0.5


def test_early_stopping_counts_a_rise_of_more_than_min_delta_on_a_maximized_metric():
    from kubik.nets.trainer.monitoring import EpochMetrics, early_stop, improved
    assert improved(0.8, 0.6, "val_accuracy", 0.1) and not improved(0.65, 0.6, "val_accuracy", 0.1)
    assert not improved(0.55, 0.6, "val_accuracy", 0.1)          # lower is worse, whatever min_delta
    assert improved(0.4, 0.6, "val_loss", 0.1) and not improved(0.55, 0.6, "val_loss", 0.1)
    es, state = {"patience": 2, "monitor": "val_accuracy", "min_delta": 0.1}, {"es_best": None, "bad_epochs": 0}
    for epoch, acc in enumerate([0.5, 0.58, 0.75, 0.8, 0.84], 1):
        stop = early_stop(state, EpochMetrics(1.0, 1.0, acc, True), es, epoch)
        assert stop == (epoch == 5), epoch                         # 0.58 and 0.8/0.84 are not 0.1 better
    assert state["es_best"] == 0.75 and state["done"].startswith("early stopping after epoch 5")


def test_best_checkpoint_follows_the_monitored_metric(tmp_path):
    _, tr, res = run(tmp_path / "best", ["train.checkpoint.monitor=val_accuracy"])
    best = K.read(tmp_path / "best" / "best.npz")
    assert best.trainer["epoch"] == res.best_epoch and best.trainer["best"] == res.best
    with open(tmp_path / "best" / "metrics.csv") as f:
        accs = [float(r["val_accuracy"]) for r in csv.DictReader(f)]
    # metrics.csv holds 6 significant digits (nets.trainer.metrics_log): compare at that precision,
    # not by luck (an accuracy such as 0.9375 happens to survive the round trip exactly)
    assert float(f"{res.best:.6g}") == max(accs) and accs.index(max(accs)) + 1 == res.best_epoch
    assert res.best == pytest.approx(max(accs), rel=5e-6, abs=0)


def test_plateau_schedule_gets_the_validation_loss(tmp_path):
    sets = ["schedule={name: ReduceLROnPlateau, patience: 0, factor: 0.5, threshold: 10.0}",
            "train.accumulate=1"]
    exp, _, _ = run(tmp_path / "plateau", sets)
    assert exp.optimizer.lr == pytest.approx(0.05 * 0.5 ** 3)      # never "improves" by 1000 %


def test_without_validation_the_training_loss_picks_best(tmp_path):
    _, _, res = run(tmp_path / "noval", ["train.val_split=0.0", "train.checkpoint.monitor=val_accuracy",
                                         "train.epochs=2"])
    best = K.read(tmp_path / "noval" / "best.npz")
    with open(tmp_path / "noval" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["val_loss"] == "" and best.trainer["best"] == pytest.approx(min(float(r["train_loss"]) for r in rows), rel=1e-5)
