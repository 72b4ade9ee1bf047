"""A trained model, ready to use: ``kubik.load(path)``.

    model = kubik.load("runs/breast_cancer-<stamp>")      # or a .npz; which="last"
    model.predict(X_raw)          # class names (as the data had them), or values for regression;
                                  # a CTC model: each sample's label sequence as text ("3141")
    model.decode(X_raw, beam=10)  # a CTC model: label sequences (lists of class indices)
    model.predict_proba(X_raw)    # (N, C) probabilities, columns in model.classes order
    model.transform(X_raw)        # the training scaling, in the net's dtype
    model.net                     # the Sequential, in eval mode

The net is rebuilt from the config the checkpoint holds (a run trained from
Python with ``nets.fit(out=...)``: from the net's own description, see
nets.trainer.python_run), for the input shape it stores, and gets the checkpoint's
weights; raw inputs are scaled with the stored training statistics, so no
data file is read. (A checkpoint written
before the preprocessing was stored is rebuilt with its data set instead.)
"""
from pathlib import Path

import numpy as np

from ... import layers

from .. import checkpoint
from . import preprocessing as pre
from . import sequences
from ..builders import build_model
from ..config import Source, normalize
from ..imports import apply_imports
from ..trainer.python_run import is_python_run, rebuild


def checkpoint_path(path, which="best"):
    """The checkpoint file for ``path``: itself, or ``<run folder>/<which>.npz``."""
    p = Path(path)
    if p.is_dir():
        if which not in ("best", "last"):
            raise ValueError(f"kubik.load: which must be 'best' or 'last', got {which!r}")
        f = p / f"{which}.npz"
        if not f.exists():
            raise checkpoint.CheckpointError(f"'{p}' is not a run folder with a {which}.npz")
        return f
    return p


def _record_from_data(cfg, source):
    """The preprocessing of a checkpoint that predates it: rebuild the experiment with its data."""
    from ..build import build
    with source.placing():
        exp = build(cfg)
    return pre.describe(exp)


def load(path, which: str = "best", imports=()) -> "Model":
    """A ``Model`` from a checkpoint file or a run folder (its ``best.npz``,
    or ``last.npz`` with ``which="last"``). ``imports``: modules that register
    the layers the model uses (besides those its config records)."""
    ckpt = checkpoint.read(checkpoint_path(path, which))
    if is_python_run(ckpt):           # trained with nets.fit(out=...): the net's own description
        net, record = rebuild(ckpt, imports)
        return Model(net, record, None, ckpt.path)
    if not isinstance(ckpt.config, dict):
        raise checkpoint.CheckpointError(f"{checkpoint.format.label(ckpt.path)} holds no config to rebuild the model")
    source = Source(f"{ckpt.path} (its config)")
    apply_imports({"imports": []}, ckpt.path.parent, imports, "import")
    with source.placing():
        cfg = normalize(ckpt.config)
        apply_imports(cfg, ckpt.path.parent)
    record = pre.load(ckpt.meta, ckpt.arrays) or _record_from_data(cfg, source)
    state = layers.get_rng().bit_generator.state     # building draws initial weights: leave the package rng alone
    try:
        layers.seed(cfg["seed"])
        with source.placing():
            net, _, _ = build_model(cfg["model"], tuple(record["input_shape"]))
    finally:
        layers.get_rng().bit_generator.state = state
    checkpoint.restore(ckpt, net, weights_only=True)
    return Model(net.eval(), record, cfg, ckpt.path)


class Model:
    """A trained net with the preprocessing and class names it was trained with."""

    def __init__(self, net, record, config, path=None):
        self.net, self.record, self.config, self.path = net, record, config, path
        self.task = record["task"]
        self.input_shape = tuple(record["input_shape"])
        self.features = record.get("features")

    @property
    def classes(self):
        """Class names in index order (integers 0..C-1 where the data had no names); None for regression."""
        if self.task == "regression":
            return None
        if self.record.get("classes"):
            return np.array(self.record["classes"])
        return np.arange(self.record["num_classes"])

    def check_inputs(self, X):
        """X as an ``(N, *input_shape)`` float array; ValueError for a wrong shape or NaN/inf."""
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise ValueError(f"inputs must be numbers, got dtype {X.dtype}")
        want = self.input_shape
        size = int(np.prod(want))
        if X.ndim == 0 or (X.ndim == 1 and size != 1):
            raise ValueError(f"inputs must be a batch (N, {', '.join(map(str, want))}), got shape {X.shape}")
        got = X.shape[1:]
        if tuple(got) != want:
            if int(np.prod(got)) != size:
                what = "features" if len(want) == 1 and len(got) == 1 else "values per sample"
                raise ValueError(f"wrong input shape: {int(np.prod(got))} {what} {tuple(got)} per sample; the model "
                                 f"takes {size} {tuple(want)}")
            X = X.reshape((len(X),) + want)
        bad = ~np.isfinite(X.reshape(len(X), -1))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"inputs hold NaN or inf (first at sample {i}, value {j})")
        return X

    def transform(self, X):
        """Raw inputs scaled with the training statistics, in the net's dtype."""
        return pre.scale_inputs(self.record, self.check_inputs(X))

    def outputs(self, X, batch_size=1000):
        """The net's raw outputs for raw inputs X, in batches of ``batch_size``."""
        X = self.transform(X)
        parts = [self.net.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0,) + tuple(self.net_output_shape()), X.dtype)

    def net_output_shape(self):
        """Per-sample output shape of the net."""
        return self.net.output_shape(self.input_shape)

    def decode(self, X, beam=None, batch_size=1000):
        """A CTC model's label sequences for raw inputs X (lists of class indices): greedy
        decoding, or prefix beam search with ``beam`` prefixes."""
        if self.task != "ctc":
            raise ValueError(f"decode: this model is a {self.task} model, not a CTC model (label sequences)")
        return sequences.decode(self.outputs(X, batch_size), self.record["blank"], beam)

    def predict_proba(self, X, batch_size=1000):
        """(N, C) class probabilities, columns in ``classes`` order (binary: [P(0), P(1)])."""
        if self.task in ("regression", "ctc", "steps"):
            raise ValueError(f"predict_proba: this model is a {self.task} model (no probability per sample)")
        return pre.probabilities(self.record, self.outputs(X, batch_size))

    def predict(self, X, batch_size=1000):
        """Class labels (the data's names) for classification; the values for regression."""
        if self.task == "ctc":
            return np.array([sequences.as_text(s, self.classes, self.record["blank"]) for s in self.decode(X, None, batch_size)], object)
        out = self.outputs(X, batch_size)
        if self.task == "regression":
            return out.reshape(len(out)) if out.ndim == 2 and out.shape[1] == 1 else out
        return self.classes[pre.class_indices(self.record, out)]

    def __repr__(self):
        classes = None if self.classes is None else [c.item() for c in self.classes]
        return f"Model({self.task}, input {self.input_shape}, classes {classes}, from {self.path})"
