"""Record checkpoints written by kubik 0.2.0 for tests/test_release_checkpoints.py.

Run once, with the release's code (before issue 23 moved layers/ and nets/ into rooms),
from the repository root:

    python tests/release/record_release_checkpoints.py

It trains two tiny digits runs (one and three epochs) and keeps their best.npz:

    tests/data/release_0.2.0_config.npz   a YAML run (config in the checkpoint): Conv2d, BatchNorm2d,
                                          Residual, MaxPool2d, Concat, Dropout, Linear
    tests/data/release_0.2.0_python.npz   a run trained from Python with nets.fit(out=...):
                                          Reshape, LSTM, GRU, LastStep, LayerNorm, Sequential, Linear
    tests/data/release_0.2.0_outputs.npz  per run, the raw inputs '<run>/X' (40 digits) and what
                                          ``kubik.load(...)`` gave for them then: '<run>/outputs' (raw
                                          outputs), '<run>/proba' and '<run>/predict'

A later kubik must load both checkpoints and predict the same numbers.
"""
import pathlib
import shutil
import tempfile

import numpy as np
import yaml

import kubik
from kubik import layers, losses, nets, optim
from kubik.nets.cli import main

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
CONFIG = {
    "seed": 0,
    "data": {"name": "digits", "image": True, "test_split": 0.2, "seed": 0, "scale": "max"},
    "model": [
        {"Conv2d": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
        {"BatchNorm2d": {}},
        "ReLU",
        {"Residual": [{"Conv2d": {"out_channels": 4, "kernel_size": 3, "padding": 1}}, "Tanh"]},
        {"MaxPool2d": {"kernel_size": 2}},
        "Flatten",
        {"Concat": [[{"Linear": {"out_features": 8}}, "ReLU"], [{"Linear": {"out_features": 6}}, "Sigmoid"]]},
        {"Dropout": {"p": 0.1}},
        {"Linear": {"out_features": 10}},
    ],
    "loss": "CrossEntropy",
    "optimizer": {"name": "SGD", "lr": 0.05, "momentum": 0.9},
    "train": {"epochs": 1, "batch_size": 64, "val_split": 0.1, "progress": False},
}


def main_():
    tmp = pathlib.Path(tempfile.mkdtemp())
    try:
        cfg = tmp / "release_config.yaml"
        cfg.write_text(yaml.safe_dump(CONFIG, sort_keys=False))
        assert main(["train", str(cfg), "--out", str(tmp / "config_run"), "--quiet"]) == 0
        shutil.copyfile(tmp / "config_run" / "best.npz", DATA / "release_0.2.0_config.npz")

        X, y = nets.datasets.load("digits")
        X = (X / 16).astype(np.float32)
        layers.seed(1)
        net = nets.Sequential(layers.Reshape((8, 8)), layers.LSTM(8, 6), layers.GRU(6, 5), layers.LastStep(),
                              layers.LayerNorm(5), nets.Sequential(layers.Linear(5, 10)))
        opt = optim.Adam(net.parameters(), lr=0.03)
        nets.fit(net, losses.CrossEntropy(), opt, (X[:600], y[:600]), val=(X[600:700], y[600:700]),
                 out=tmp / "python_run", epochs=3, batch_size=50, progress=False, log=lambda *a: None)
        shutil.copyfile(tmp / "python_run" / "best.npz", DATA / "release_0.2.0_python.npz")

        Xraw, _ = nets.datasets.load("digits")
        Xraw = Xraw[-40:].astype(np.float64)
        out = {}
        for run in ("config", "python"):
            model = kubik.load(DATA / f"release_0.2.0_{run}.npz")
            Xin = Xraw.reshape(len(Xraw), *model.input_shape) if run == "config" else Xraw / 16
            out[f"{run}/X"] = Xin
            out[f"{run}/outputs"] = model.outputs(Xin)
            out[f"{run}/proba"] = model.predict_proba(Xin)
            out[f"{run}/predict"] = model.predict(Xin)
        np.savez_compressed(DATA / "release_0.2.0_outputs.npz", **out)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main_()
