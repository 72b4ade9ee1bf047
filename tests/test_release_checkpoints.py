"""Checkpoints written by kubik 0.2.0 (tests/release/record_release_checkpoints.py, recorded
before layers/ and nets/ were reorganized into rooms) still load and predict what they did."""
import pathlib

import numpy as np
import pytest

import kubik
from kubik import nets

DATA = pathlib.Path(__file__).resolve().parent / "data"
THEN = np.load(DATA / "release_0.2.0_outputs.npz")


@pytest.mark.parametrize("run", ["config", "python"])
def test_release_checkpoint_loads_and_predicts_as_then(run):
    model = kubik.load(DATA / f"release_0.2.0_{run}.npz")
    X = THEN[f"{run}/X"]
    np.testing.assert_allclose(model.outputs(X), THEN[f"{run}/outputs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_proba(X), THEN[f"{run}/proba"], rtol=1e-5, atol=1e-7)
    # then the digits' labels came out as the strings '0'..'9'; integer-labelled data now gives
    # integers (issue 29), the same labels
    pred = model.predict(X)
    assert pred.dtype.kind in "iU"
    np.testing.assert_array_equal(pred.astype(str), THEN[f"{run}/predict"].astype(str))
    assert len(set(THEN[f"{run}/predict"].tolist())) > 3     # a model that tells digits apart, not a constant


def test_release_checkpoints_rebuild_the_containers():
    config = kubik.load(DATA / "release_0.2.0_config.npz").net
    kinds = {type(layer).__name__ for layer in config}
    assert {"Residual", "Concat", "BatchNorm2d", "Conv2d"} <= kinds
    assert all(type(layer).__module__.startswith("kubik.") for layer in config)
    python = kubik.load(DATA / "release_0.2.0_python.npz").net
    assert isinstance(python, nets.Sequential) and isinstance(python[-1], nets.Sequential)
    assert [type(layer).__name__ for layer in python][1:4] == ["LSTM", "GRU", "LastStep"]


def test_a_wrong_prediction_would_be_noticed():
    """Negative control: another checkpoint's outputs do not pass for these."""
    model = kubik.load(DATA / "release_0.2.0_python.npz")
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(model.outputs(THEN["python/X"]) + 1e-3, THEN["python/outputs"], rtol=1e-5, atol=1e-6)
