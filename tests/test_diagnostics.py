"""Per-layer diagnostics (train.monitor -> diagnostics.csv): hand-computed
norms and update ratios after one SGD step, activation statistics and their
thresholds, the hooks' bookkeeping, resume consistency, no effect on results,
config errors, and the vanishing-gradient demonstration on configs/deep_sigmoid.yaml."""
import math
from pathlib import Path

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets import build as B
from kubik.nets import checkpoint as K
from kubik.nets import config as C
from kubik.nets.diagnostics import Diagnostics, activation_stats, read_diagnostics
from kubik.nets.trainer import Trainer

ROOT = Path(__file__).resolve().parent.parent
BASE = """\
seed: 1
data: {name: digits}
model:
  - Linear: {out_features: 32}
  - ReLU
  - Dropout: 0.2
  - Linear: {out_features: 16}
  - Tanh
  - Linear: {out_features: 10}
optimizer: {name: SGD, lr: 0.05, momentum: 0.9}
train: {epochs: 2, batch_size: 16, accumulate: 2, progress: false, monitor: {every_steps: 7}}
"""


def experiment(sets=(), text=BASE, path="t.yaml"):
    cfg, _ = C.load(path, sets, text=text)
    return B.build(cfg)


def table(path):
    """{(step, name, metric): value} of a diagnostics.csv."""
    return {(s, n, m): v for s, n, m, v in read_diagnostics(path)}


def test_hand_computed_norms_and_update_ratio_after_one_sgd_step(tmp_path):
    lin = layers.Linear(2, 1, dtype=np.float64)
    lin.weight.data[:] = [[1.0], [2.0]]
    lin.bias.data[:] = [0.5]
    net = nets.Sequential(lin, layers.ReLU())
    opt = optim.SGD(net.parameters(), lr=0.1)
    diag = Diagnostics(net, tmp_path, every_steps=1).start(0)
    loss = losses.MSE()
    assert "forward" in vars(net[1])                        # step 1 is monitored: ReLU's output is watched
    X = np.array([[1.0, 1.0]])
    loss.forward(net.forward(X), np.zeros((1, 1)))        # Y = 1 + 2 + 0.5 = 3.5, L = 3.5²
    assert "forward" not in vars(net[1])                    # ... once: the wrapper removed itself
    net.backward(loss.backward())                          # dL/dY = 7: dW = [7, 7], db = 7
    diag.before_update(1)
    opt.step()                                             # W = [0.3, 1.3], b = -0.2
    opt.zero_grad()
    diag.after_update(1)
    t = table(tmp_path / "diagnostics.csv")
    assert t[(1, "0.weight", "grad_norm")] == pytest.approx(7 * math.sqrt(2), rel=1e-5)
    assert t[(1, "0.bias", "grad_norm")] == pytest.approx(7.0, rel=1e-5)
    assert t[(1, "0.weight", "weight_norm")] == pytest.approx(math.sqrt(0.3 ** 2 + 1.3 ** 2), rel=1e-5)
    assert t[(1, "0.bias", "weight_norm")] == pytest.approx(0.2, rel=1e-5)
    assert t[(1, "0.weight", "update_ratio")] == pytest.approx(0.7 * math.sqrt(2) / math.sqrt(5), rel=1e-5)
    assert t[(1, "0.bias", "update_ratio")] == pytest.approx(0.7 / 0.5, rel=1e-5)
    assert t[(1, "1.ReLU", "act_mean")] == pytest.approx(3.5) and t[(1, "1.ReLU", "act_std")] == 0.0
    assert t[(1, "1.ReLU", "dead_frac")] == 0.0
    assert Diagnostics(net, tmp_path, every_steps=2).start(0) and "forward" not in vars(net[1])  # stale one gone


def test_activation_statistics_and_thresholds():
    relu = activation_stats(layers.ReLU(), np.array([[0.0, 1.0, 0.0], [0.0, 3.0, 0.0]]))
    assert relu["dead_frac"] == pytest.approx(2 / 3)      # units 0 and 2 are zero for every sample
    assert relu["act_mean"] == pytest.approx(4 / 6)
    assert relu["act_std"] == pytest.approx(np.std([0, 1, 0, 0, 3, 0]))
    conv = np.zeros((2, 3, 2, 2))
    conv[1, 2, 0, 1] = 0.5                                 # NCHW: units are channels; only channel 2 lives
    assert activation_stats(layers.ReLU(), conv)["dead_frac"] == pytest.approx(2 / 3)
    sig = activation_stats(layers.Sigmoid(), np.array([[0.005, 0.5, 0.995, 0.99]]))
    assert sig["saturated_frac"] == 0.5                    # 0.99 is on the threshold: not saturated
    tanh = activation_stats(layers.Tanh(), np.array([[-0.995, 0.0], [0.5, 0.991]]))
    assert tanh["saturated_frac"] == 0.5
    assert set(activation_stats(layers.GELU(), np.ones((1, 2)))) == {"act_mean", "act_std"}
    batch_of_one = activation_stats(layers.ReLU(), np.array([[-0.0, 2.0]]))
    assert batch_of_one["dead_frac"] == 0.5


def test_off_by_default_writes_nothing_and_wraps_nothing(tmp_path):
    exp = experiment(["train.monitor.every_steps=0", "train.epochs=1"])
    assert Trainer(exp, tmp_path, log=lambda *a: None).fit().status == "finished"
    assert not (tmp_path / "diagnostics.csv").exists()
    assert all("forward" not in vars(la) for la in exp.net)
    assert C.normalize({"data": "digits", "model": ["ReLU"]})["train"]["monitor"]["every_steps"] == 0


def test_rows_every_n_steps_and_results_unchanged(tmp_path):
    on = experiment()
    Trainer(on, tmp_path / "on", log=lambda *a: None).fit()
    off = experiment(["train.monitor.every_steps=0"])
    Trainer(off, tmp_path / "off", log=lambda *a: None).fit()
    for (n, a), (_, b) in zip(on.net.state_dict().items(), off.net.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=n)     # diagnostics draw no random numbers
    rows = read_diagnostics(tmp_path / "on" / "diagnostics.csv")
    steps = sorted({r[0] for r in rows})
    assert steps == list(range(7, 2 * 41 + 1, 7))          # 41 steps per epoch (2 micro-batches each)
    names = {(n, m) for s, n, m, v in rows if s == 7}
    assert ("0.weight", "update_ratio") in names and ("1.ReLU", "dead_frac") in names
    assert ("4.Tanh", "saturated_frac") in names and ("5.bias", "grad_norm") in names
    assert all(math.isfinite(v) for *_, v in rows)


def test_what_selects_the_metrics(tmp_path):
    exp = experiment(["train.monitor.what=[grad_norm]", "train.epochs=1"])
    Trainer(exp, tmp_path, log=lambda *a: None).fit()
    assert {m for _, _, m, _ in read_diagnostics(tmp_path / "diagnostics.csv")} == {"grad_norm"}


def test_resume_truncates_rows_beyond_the_checkpoint(tmp_path):
    Trainer(experiment(), tmp_path / "ref", log=lambda *a: None).fit()
    exp = experiment()
    tr = Trainer(exp, tmp_path / "cut", log=lambda *a: None)
    step = exp.optimizer.step

    def counting_step():
        step()
        if exp.optimizer.step_count == 50:
            tr._stop = True
    exp.optimizer.step = counting_step
    assert tr.fit().status == "interrupted"
    diag = tmp_path / "cut" / "diagnostics.csv"
    with open(diag, "a") as f:                             # rows a killed run wrote after its last checkpoint
        f.write("56,0.weight,grad_norm,123\n63,0.weight,grad_")
    tr2 = Trainer(experiment(), tmp_path / "cut", log=lambda *a: None)
    tr2.restore(K.read(tmp_path / "cut" / "last.npz"))
    assert tr2.fit().status == "finished"
    assert diag.read_text() == (tmp_path / "ref" / "diagnostics.csv").read_text()


def test_diagnostics_can_be_turned_on_when_resuming(tmp_path):
    exp = experiment(["train.monitor.every_steps=0", "train.epochs=1"])
    Trainer(exp, tmp_path, log=lambda *a: None).fit()
    assert C.config_hash(exp.config) == C.config_hash(experiment(["train.epochs=2"]).config)
    tr = Trainer(experiment(["train.epochs=2"]), tmp_path, log=lambda *a: None)
    tr.restore(K.read(tmp_path / "last.npz"))
    assert tr.fit().status == "finished"
    assert sorted({s for s, *_ in read_diagnostics(tmp_path / "diagnostics.csv")}) == list(range(42, 83, 7))


@pytest.mark.parametrize("sets, where", [
    (["train.monitor.what=[grad_norms]"], "train.monitor.what[0]: unknown diagnostic 'grad_norms'"),
    (["train.monitor.every_steps=-1"], "train.monitor.every_steps: must be >= 0"),
    (["train.monitor.every=5"], "train.monitor.every: unknown key"),
])
def test_config_mistakes_name_the_entry(sets, where):
    with pytest.raises(C.ConfigError, match=where.replace("[", r"\[").replace("]", r"\]")):
        experiment(sets)


def test_unknown_what_from_python():
    with pytest.raises(ValueError, match="Diagnostics: unknown 'what'"):
        Diagnostics(nets.Sequential(layers.ReLU()), ".", 1, ["weights"])
    with pytest.raises(ValueError, match="Diagnostics: every_steps must be an int >= 0 .*got -5"):
        Diagnostics(nets.Sequential(layers.ReLU()), ".", -5)


def test_deep_sigmoid_net_shows_vanishing_gradients(tmp_path):
    cfg, _ = C.load(ROOT / "configs" / "deep_sigmoid.yaml",
                    ["train.epochs=1", "train.monitor.every_steps=10", "train.progress=false"])
    exp = B.build(cfg)
    assert sum(isinstance(la, layers.Linear) for la in exp.net) == 10
    Trainer(exp, tmp_path, log=lambda *a: None).fit()
    t = table(tmp_path / "diagnostics.csv")
    steps = sorted({s for s, _, _ in t})
    assert len(steps) >= 4
    for s in steps:
        first, last = t[(s, "0.weight", "grad_norm")], t[(s, "18.weight", "grad_norm")]
        assert first * 100 <= last, (s, first, last)
        assert t[(s, "1.Sigmoid", "saturated_frac")] >= 0.0


def test_deep_relu_with_he_init_keeps_gradients_within_a_small_factor(tmp_path):
    cfg, _ = C.load(ROOT / "configs" / "deep_relu.yaml",
                    ["train.epochs=1", "train.monitor.every_steps=10", "train.progress=false"])
    exp = B.build(cfg)
    Trainer(exp, tmp_path, log=lambda *a: None).fit()
    t = table(tmp_path / "diagnostics.csv")
    first, last = t[(10, "0.weight", "grad_norm")], t[(10, "18.weight", "grad_norm")]
    assert 0.1 < first / last < 10
