"""Training graphs: OutputLosses (weighted terms on named outputs), Inputs and the
DataLoader / fit / evaluate / predict with a tuple of input arrays, the
digits_pairs data set, a Siamese run end to end (kubik eval's pair accuracy,
predict from an npz by input names, plot --embedding, ONNX export), a run trained
from Python rebuilt by kubik.load, and bit-exact --resume of a graph config."""
import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

import kubik
from kubik import layers, losses, nets, optim
from kubik.nets import Inputs, OutputLosses
from kubik.nets.checkpoint import read
from kubik.nets.cli import main

import cases_graph as G

ROOT = Path(__file__).resolve().parent.parent


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- OutputLosses ---------------------------------------------------------------------------------------------
def test_output_losses_weigh_terms_and_send_one_gradient_per_output():
    ce = losses.CrossEntropy()
    loss = OutputLosses([(ce, "logits"), (losses.CrossEntropy(), "aux", 0.3)], ["logits", "aux", "unused"])
    A, B, C = randn(4, 3), randn(4, 3, seed=1), randn(4, 2, seed=2)
    y = np.array([0, 2, 1, 0])
    want = ce.forward(A, y) + 0.3 * losses.CrossEntropy().forward(B, y)
    assert loss.forward((A, B, C), y) == pytest.approx(want)
    gA, gB, gC = loss.backward()
    ce.forward(A, y)
    np.testing.assert_allclose(gA, ce.backward())
    ce.forward(B, y)
    np.testing.assert_allclose(gB, 0.3 * ce.backward())
    assert gC is None                                        # no term reads it: no gradient
    both = OutputLosses([(losses.MSE(), "a"), (losses.MSE(), "a", 2.0)], ["a"])
    assert both.forward((A,), np.zeros_like(A)) == pytest.approx(3 * float((A ** 2).mean()))
    np.testing.assert_allclose(both.backward()[0], 3 * 2 * A / A.size)     # one output, two terms: summed
    assert loss.spec() == [{"CrossEntropy": {}, "output": "logits", "weight": 1.0},
                           {"CrossEntropy": {}, "output": "aux", "weight": 0.3}]


def test_output_losses_refuse_what_cannot_work():
    with pytest.raises(ValueError, match=r"names output 'x', but the net's outputs are \['a'\]"):
        OutputLosses([(losses.MSE(), "x")], ["a"])
    with pytest.raises(ValueError, match=r"Contrastive compares 2 prediction\(s\), but term 0 names 1"):
        OutputLosses([(losses.Contrastive(), "a")], ["a", "b"])
    with pytest.raises(ValueError, match="weight of term 0 must be a finite number >= 0"):
        OutputLosses([(losses.MSE(), "a", -1)], ["a"])
    with pytest.raises(ValueError, match="reduction 'none'"):
        OutputLosses([(losses.MSE(reduction="none"), "a")], ["a"])
    with pytest.raises(RuntimeError, match="backward called before forward"):
        OutputLosses([(losses.MSE(), "a")], ["a"]).backward()
    g = G.two_inputs_two_outputs()
    with pytest.raises(ValueError, match=r"the net has 2 outputs \(y, aux\) but CrossEntropy takes 1 prediction"):
        nets.fit(g, losses.CrossEntropy(), optim.SGD(g.parameters(), lr=0.1),
                 ((randn(8, 4), randn(8, 2)), np.zeros(8, int)), epochs=1, progress=False, log=lambda *a: None)


# -- Inputs, DataLoader, fit, evaluate, predict -----------------------------------------------------------------
def test_inputs_index_like_one_array_and_the_loader_batches_them():
    X = Inputs((np.arange(10).reshape(5, 2), np.arange(5)), names=("a", "b"))
    assert len(X) == 5 and X.shapes == [(2,), ()] and X[1:3].arrays[1].tolist() == [1, 2]
    assert X.select(["b", "a"]).names == ("b", "a")
    with pytest.raises(ValueError, match="every input needs the same number of samples; x0 has 3, x1 has 2"):
        Inputs((np.zeros(3), np.zeros(2)))
    loader = nets.DataLoader((np.arange(10).reshape(5, 2), np.arange(5)), np.arange(5), batch_size=2, rng=0,
                             shuffle=True)
    for xb, yb in loader:
        assert isinstance(xb, Inputs) and np.array_equal(xb.arrays[1], yb)     # rows stay together


def test_fit_evaluate_and_predict_take_tuples_of_inputs():
    layers.seed(0)
    g = G.two_inputs_two_outputs().set_propagate_down(False)
    rng = np.random.default_rng(0)
    X1, X2 = rng.standard_normal((60, 4)), rng.standard_normal((60, 2))
    y = (X1[:, 0] * X2[:, 0] > 0).astype(np.int64)
    loss = OutputLosses([(losses.CrossEntropy(), "y")], g.outputs)     # aux is not trained: no gradient
    history = nets.fit(g, loss, optim.SGD(g.parameters(), lr=0.2, momentum=0.9), ((X1, X2), y), val=((X1, X2), y),
                       epochs=30, batch_size=10, rng=0, progress=False, log=lambda *a: None)
    assert history[-1]["val_accuracy"] > 0.8 and history[-1]["train_loss"] < history[0]["train_loss"]
    out, aux = nets.predict(g, (X1, X2), batch_size=7)
    assert out.shape == (60, 2) and aux.shape == (60, 1)
    value, acc = nets.evaluate(g, loss, ((X1, X2), y), batch_size=7)
    assert acc == history[-1]["val_accuracy"] and value == pytest.approx(history[-1]["val_loss"])


# -- digits_pairs ---------------------------------------------------------------------------------------------------
def test_digits_pairs_are_half_similar_drawn_within_each_split_and_seeded():
    s = nets.datasets.load("digits_pairs", seed=3, pairs_per_image=2)
    X, Xt = s.X, s.X_test
    assert isinstance(X, Inputs) and X.names == ("x1", "x2") and X.shapes == [(1, 8, 8), (1, 8, 8)]
    assert s.y.mean() == 0.5 and s.y_test.mean() == 0.5
    raw = nets.datasets.load_raw("digits_pairs", rng=np.random.default_rng([3, 2]), pairs_per_image=2)
    (P, Py), (T, Ty) = raw.points
    key = lambda A: {a.tobytes() for a in A.reshape(len(A), -1)}
    assert key(X.arrays[0]) | key(X.arrays[1]) <= key(P) and key(Xt.arrays[0]) | key(Xt.arrays[1]) <= key(T)
    assert not key(P) & key(T) and len(T) == round(0.2 * 1797)
    cls = {a.tobytes(): c for a, c in zip(P.reshape(len(P), -1), Py)}
    same = np.array([cls[a.tobytes()] == cls[b.tobytes()] for a, b in
                     zip(X.arrays[0].reshape(len(X), -1), X.arrays[1].reshape(len(X), -1))])
    assert np.array_equal(same, s.y == 1)
    again = nets.datasets.load("digits_pairs", seed=3, pairs_per_image=2)
    assert np.array_equal(again.X.arrays[1], X.arrays[1])
    assert not np.array_equal(nets.datasets.load("digits_pairs", seed=4, pairs_per_image=2).X.arrays[1][:50],
                              X.arrays[1][:50])


# -- a Siamese run end to end -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def siamese(tmp_path_factory):
    out = tmp_path_factory.mktemp("siamese") / "run"
    code, text, err = run("train", ROOT / "configs" / "digits_siamese.yaml", "--set", "train.epochs=3", "--out", out,
                          "--quiet")
    assert code == 0, err
    return out


def test_eval_reports_pair_accuracy_and_predict_reads_an_npz_by_input_names(siamese, tmp_path):
    code, out, err = run("eval", siamese)
    assert code == 0, err
    assert "test split, 2872 samples" in out and "pair accuracy" in out and "at the best distance threshold" in out
    s = nets.datasets.load("digits_pairs", test_images=0.2, pairs_per_image=2)
    np.savez(tmp_path / "pairs.npz", x2=s.X_test.arrays[1][:4], x1=s.X_test.arrays[0][:4], y=s.y_test[:4])
    code, out, err = run("predict", siamese, tmp_path / "pairs.npz")
    rows = out.strip().splitlines()
    assert code == 0 and rows[0] == "prediction,distance" and len(rows) == 5, err
    model = kubik.load(siamese)
    assert model.task == "pairs" and model.inputs == ["x1", "x2"]
    assert [r.split(",")[0] for r in rows[1:]] == list(model.predict((s.X_test.arrays[0][:4], s.X_test.arrays[1][:4])))
    np.savez(tmp_path / "half.npz", x1=s.X_test.arrays[0][:4])
    code, out, err = run("predict", siamese, tmp_path / "half.npz")
    assert code == 2 and "lacks the input array(s) 'x2'; the model takes x1, x2" in err


def test_plot_embedding_and_onnx_export_of_the_siamese_run(siamese, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, err = run("plot", siamese, "--embedding", "-o", tmp_path / "emb.png")
    assert code == 0 and (tmp_path / "emb.png").stat().st_size > 10000, err
    code, _, err = run("plot", ROOT / "configs", "--embedding")
    assert code == 2
    ort = pytest.importorskip("onnxruntime")
    code, out, err = run("export", siamese, tmp_path / "s.onnx", "--with-preprocessing")
    assert code == 0 and "'x1' takes raw inputs" in out and "'enc1', 'enc2' are the net's outputs" in out, err
    s = nets.datasets.load("digits_pairs")
    x1, x2 = (a[:6].astype(np.float32) for a in s.X_test.arrays)
    sess = ort.InferenceSession(str(tmp_path / "s.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x1": x1, "x2": x2})
    ref = kubik.load(siamese).outputs((x1, x2))
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-6)


def test_a_siamese_net_trained_from_python_is_rebuilt_by_load(tmp_path):
    layers.seed(0)
    enc = nets.Sequential(layers.Flatten(), layers.Linear(64, 16), layers.ReLU(), layers.Linear(16, 2))
    g = nets.Graph(inputs=["x1", "x2"], outputs=["e1", "e2"]).add("e1", enc, "x1").add("e2", enc, "x2")
    s = nets.datasets.load("digits_pairs")
    X = tuple(a[:300].astype(np.float32) / 16 for a in s.X.arrays)
    nets.fit(g, losses.Contrastive(), optim.SGD(g.parameters(), lr=0.05), (X, s.y[:300]), epochs=2,
             progress=False, out=tmp_path / "py", log=lambda *a: None)
    model = kubik.load(tmp_path / "py", which="last")
    assert model.task == "pairs" and model.inputs == ["x1", "x2"] and model.record["threshold"] == 0.5
    np.testing.assert_array_equal(model.outputs(X)[0], g.eval().forward(*X)[0])


def test_a_graph_config_resumes_bit_for_bit(tmp_path):
    cfg = ROOT / "configs" / "digits_inception.yaml"
    assert run("train", cfg, "--set", "train.epochs=2", "--out", tmp_path / "whole", "--quiet")[0] == 0
    assert run("train", cfg, "--set", "train.epochs=1", "--out", tmp_path / "part", "--quiet")[0] == 0
    assert run("train", "--resume", tmp_path / "part", "--set", "train.epochs=2", "--quiet")[0] == 0
    a, b = read(tmp_path / "whole" / "last.npz").model_state(), read(tmp_path / "part" / "last.npz").model_state()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
