"""Training with LBFGS, from YAML and from Python: the full batch (train.batch_size:
full), one-line errors for mini-batches, accumulation and clipping, exact resume,
the progress bar counting function evaluations, and the shipped config's numbers.
Also reduction='none', which the trainer and configs refuse."""
import numpy as np
import pytest

import kubik
from kubik import layers, losses, nets, optim
from kubik.nets import build as B
from kubik.nets import checkpoint as K
from kubik.nets import config as C
from kubik.nets.trainer import Trainer

from cli_run import ROOT, kubik as kubik_cmd, one_line_error
from python_runs import main

BASE = """\
seed: 2
data: {name: breast_cancer, scale: standard}
model:
  - Linear: {out_features: 8}
  - Sigmoid
  - Linear: {out_features: 1}
  - Sigmoid
loss: BCE
optimizer: {name: LBFGS, max_iter: 3, history_size: 4, line_search_fn: strong_wolfe}
train: {epochs: 4, batch_size: full, progress: false}
"""


def experiment(sets=()):
    cfg, _ = C.load("t.yaml", sets, text=BASE)
    return B.build(cfg)


def test_shipped_config_reaches_97_percent_in_under_50_steps(tmp_path, capsys):
    assert main(["train", str(ROOT / "configs" / "breast_cancer_lbfgs.yaml"), "--out", str(tmp_path / "r"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("test split, final weights")[1].split("accuracy ")[1].split("%")[0])
    assert acc >= 97.0, out
    ckpt = K.read(tmp_path / "r" / "last.npz")
    state = ckpt.meta["optimizer"]["state"]["0"]
    assert ckpt.trainer["step"] < 50 and state["n_iter"] < 50 and state["func_evals"] >= state["n_iter"]


def test_full_batch_trains_one_step_per_epoch_and_resumes_exactly(tmp_path):
    exp = experiment()
    ref = Trainer(exp, tmp_path / "ref", log=lambda *a: None)
    assert ref.fit().status == "finished"
    assert ref.state["step"] == 4 and exp.optimizer.n_iter > 4
    cut = Trainer(experiment(["train.epochs=2"]), tmp_path / "cut", log=lambda *a: None)
    assert cut.fit().status == "finished"
    exp2 = experiment()
    again = Trainer(exp2, tmp_path / "cut", log=lambda *a: None)
    again.restore(K.read(tmp_path / "cut" / "last.npz"))
    assert again.fit().status == "finished"
    a, b = K.read(tmp_path / "ref" / "last.npz"), K.read(tmp_path / "cut" / "last.npz")
    for k, v in a.model_state().items():
        np.testing.assert_array_equal(b.model_state()[k], v, err_msg=k)
    assert (exp2.optimizer.n_iter, exp2.optimizer.func_evals) == (exp.optimizer.n_iter, exp.optimizer.func_evals)


@pytest.mark.parametrize("sets,entry,fragment", [
    (["train.batch_size=32"], "train.batch_size", "evaluates the loss on the whole training set"),
    (["train.accumulate=2"], "train.accumulate", "gradient accumulation (accumulate 2) does not apply"),
    (["train.clip_norm=1.0"], "train.clip_norm", "needs the exact gradient for its line search"),
    (["train.batch_size=half"], "train.batch_size", "expected an integer or full (the whole training part)"),
    (["optimizer.line_search_fn=wolfe"], "optimizer", "line_search_fn must be None or 'strong_wolfe'"),
    (["optimizer.no_decay=true"], "optimizer", "one parameter group"),
])
def test_config_mistakes_are_one_line(tmp_path, sets, entry, fragment):
    (tmp_path / "c.yaml").write_text(BASE)
    line = one_line_error(kubik_cmd("train", tmp_path / "c.yaml", *[a for s in sets for a in ("--set", s)],
                                    "--out", tmp_path / "run"))
    assert f"{entry}:" in line and fragment in line, line
    assert not (tmp_path / "run" / "last.npz").exists()


def test_progress_bar_counts_function_evaluations(monkeypatch):
    from kubik.nets.trainer import loop
    bars = []

    class Bar:
        def __init__(self, **kwargs):
            self.kwargs, self.n, self.postfix = kwargs, 0, {}
            bars.append(self)

        def update(self, k):
            self.n += k

        def set_postfix(self, refresh=True, **kwargs):
            self.postfix = kwargs

        def close(self):
            pass
    monkeypatch.setattr(loop, "tqdm", Bar)
    exp = experiment(["train.epochs=2"])
    Trainer(exp, None, log=lambda *a: None).fit()
    assert [b.kwargs["unit"] for b in bars] == ["eval", "eval"]
    assert sum(b.n for b in bars) == exp.optimizer.func_evals
    assert bars[-1].postfix["iters"] == exp.optimizer.n_iter and "loss" in bars[-1].postfix


def test_python_fit_takes_the_full_batch_by_default_and_refuses_mini_batches():
    X, y = nets.datasets.load("breast_cancer")
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    y = y.reshape(-1, 1).astype(np.float32)
    layers.seed(0)
    net = nets.Sequential(layers.Linear(30, 4), layers.Sigmoid(), layers.Linear(4, 1), layers.Sigmoid())
    opt = optim.LBFGS(net.parameters(), max_iter=4, line_search_fn="strong_wolfe")
    history = nets.fit(net, losses.BCE(), opt, (X, y), epochs=3, log=lambda *a: None, progress=False)
    assert [r["step"] for r in history] == [1, 2, 3] and history[-1]["train_loss"] < history[0]["train_loss"]
    with pytest.raises(ValueError, match="batch_size: LBFGS evaluates the loss on the whole training set"):
        nets.fit(net, losses.BCE(), opt, (X, y), batch_size=64, epochs=1, log=lambda *a: None)
    with pytest.raises(ValueError, match="clip_norm"):
        nets.fit(net, losses.BCE(), opt, (X, y), epochs=1, clip_norm=1.0, log=lambda *a: None)


def test_reduction_none_is_refused_by_trainer_evaluate_and_configs(tmp_path):
    net = nets.Sequential(layers.Linear(3, 2, rng=0))
    loss = losses.CrossEntropy(reduction="none")
    with pytest.raises(ValueError, match="Trainer: the loss CrossEntropy\\(reduction='none'\\) gives per-sample"):
        nets.fit(net, loss, optim.SGD(net.parameters()), (np.zeros((4, 3), np.float32), np.zeros(4, int)))
    with pytest.raises(ValueError, match="evaluate: .*reduction='none'"):
        nets.evaluate(net, loss, (np.zeros((4, 3), np.float32), np.zeros(4, int)))
    (tmp_path / "c.yaml").write_text(BASE.replace("loss: BCE", "loss: {name: BCE, reduction: none}"))
    line = one_line_error(kubik_cmd("train", tmp_path / "c.yaml", "--out", tmp_path / "run"))
    assert "c.yaml:" in line and "loss.reduction: 'none' gives per-sample values" in line, line


def test_a_loss_of_several_predictions_is_refused_for_a_list_of_layers(tmp_path):
    (tmp_path / "c.yaml").write_text(BASE.replace("loss: BCE", "loss: {name: MarginRanking, margin: 0.1}"))
    line = one_line_error(kubik_cmd("train", tmp_path / "c.yaml", "--out", tmp_path / "run"))
    assert "loss.name: MarginRanking compares 2 predictions (x1, x2)" in line, line


def test_multi_margin_trains_on_labels_with_accuracy():
    """MultiMargin takes integer labels (takes_labels): two scores, accuracy by argmax."""
    text = (BASE.replace("loss: BCE", "loss: {MultiMargin: {margin: 1.0}}")
            .replace("  - Linear: {out_features: 1}\n  - Sigmoid\n", "  - Linear: {out_features: 2}\n"))
    cfg, _ = C.load("t.yaml", ["optimizer.name=SGD", "optimizer.lr=0.2", "optimizer.momentum=0.9",
                               "train.batch_size=32", "train.epochs=10"], text=text)
    for key in ("max_iter", "history_size", "line_search_fn"):
        del cfg["optimizer"][key]
    exp = B.build(cfg)
    assert exp.task.labels
    result = Trainer(exp, None, log=lambda *a: None).fit()
    assert result.history[-1]["val_accuracy"] > 0.9
    assert kubik.nets.evaluate(exp, exp.data.X_test, exp.data.y_test, 100)[1] > 0.9
