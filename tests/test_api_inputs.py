"""The Python API checks its inputs where they come in (issue 29): nets.fit,
nets.evaluate, nets.predict, nets.DataLoader and Model.predict name the argument in
a short message (never the data), for lists, strings, None, NaN/inf, ragged rows,
no samples and a bad batch size."""
import numpy as np
import pytest

from kubik import layers, losses, nets, optim

from cli_run import ROOT, kubik


def _net():
    return nets.Sequential(layers.Linear(3, 2, rng=0))


def _fit(X, y=(0, 1, 0, 1), **kw):
    net = _net()
    return nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, list(y)), epochs=1,
                    progress=False, log=lambda *a: None, **kw)


@pytest.mark.parametrize("X,error,message", [
    ([[np.nan, 1, 2]] * 4, ValueError, "fit: train X holds nan at sample 0"),
    ([[1, 2, 3], [1, 2, np.inf], [1, 2, 3], [1, 2, 3]], ValueError, "fit: train X holds inf at sample 1"),
    ([[None, 1, 2]] * 4, TypeError, "fit: train X holds Python objects"),
    ([["a", "b", "c"]] * 4, TypeError, "fit: train X holds strings"),
    ([[1, 2, 3], [1, 2], [1, 2, 3], [1, 2, 3]], ValueError, "fit: train X is a ragged list"),
])
def test_fit_names_a_bad_input_instead_of_diverging(X, error, message):
    with pytest.raises(error) as e:
        _fit(X)
    assert str(e.value).startswith(message) and len(str(e.value)) < 200
    assert not isinstance(e.value, nets.Diverged)


def test_fit_checks_the_validation_data_and_the_targets_too():
    with pytest.raises(ValueError, match="^fit: val X holds inf at sample 2"):
        _fit(np.ones((4, 3)), val=(np.r_[np.ones((2, 3)), np.full((1, 3), np.inf)], [0, 0, 0]))
    with pytest.raises(ValueError, match="^fit: train y holds nan"):
        net = _net()
        nets.fit(net, losses.MSE(), optim.SGD(net.parameters(), lr=0.1), (np.ones((4, 3)), np.full((4, 2), np.nan)),
                 epochs=1, progress=False, log=lambda *a: None)


def test_evaluate_and_predict_take_lists_and_never_print_the_data():
    net = _net()
    X, y = np.ones((200, 3)).tolist(), [0] * 200
    loss, acc = nets.evaluate(net, losses.CrossEntropy(), (X, y))
    assert np.isfinite(loss) and acc in (0.0, 1.0)
    assert nets.predict(net, X).shape == (200, 2)
    with pytest.raises(ValueError) as e:
        nets.evaluate(net, losses.CrossEntropy(), (np.ones((5000, 4)).tolist(), [0] * 5000))
    assert len(str(e.value)) < 300 and "1.0, 1.0" not in str(e.value)
    with pytest.raises(TypeError, match="^predict: X holds strings"):
        nets.predict(net, [["1", "2", "3"]])
    with pytest.raises(ValueError, match="^evaluate: data: X has 1 samples but y has 2"):
        nets.evaluate(net, losses.CrossEntropy(), ([[1, 2, 3]], [0, 1]))
    with pytest.raises(ValueError, match="^evaluate: batch_size must be an integer >= 1, got 0"):
        nets.evaluate(net, losses.CrossEntropy(), (X, y), batch_size=0)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    run = tmp_path_factory.mktemp("m") / "run"
    r = kubik("train", ROOT / "configs" / "breast_cancer.yaml", "--out", run, "--quiet", "--set", "train.epochs=1")
    assert r.returncode == 0, r.stderr
    import kubik as k
    return k.load(run)


def test_model_predict_refuses_no_rows_and_a_zero_batch_size(model):
    with pytest.raises(ValueError, match=r"^X has no samples \(shape \(0, 30\)\)"):
        model.predict(np.zeros((0, 30)))
    with pytest.raises(ValueError, match="^Model.predict: batch_size must be an integer >= 1, got 0"):
        model.predict(np.zeros((2, 30)), batch_size=0)
    with pytest.raises(TypeError, match="^X holds strings"):
        model.predict([["x"] * 30])
    with pytest.raises(ValueError, match="^X is a ragged list"):
        model.predict([[0.0] * 30, [0.0] * 29])
    assert model.predict(np.zeros((2, 30)).tolist()).shape == (2,)
