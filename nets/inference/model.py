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
from .preprocessing import recorded_shape
from ..builders import build_model
from ..config import Source, normalize
from ..datasets.inputs import Inputs, concat_outputs, forward
from ..imports import apply_imports
from ..trainer.inputs import check_batch_size, check_numbers
from ..trainer.pair_metrics import pair_distances
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


def _checked(record, ckpt):
    """The stored preprocessing record, checked (None stays None: a checkpoint from before it)."""
    if record is None:
        return None
    try:
        return pre.check(record)
    except ValueError as e:
        raise checkpoint.CheckpointError(f"{checkpoint.format.label(ckpt.path)}: its stored preprocessing cannot be "
                                         f"used (edited or damaged?): {e}") from None


def load(path, which: str = "best", imports=()) -> "Model":
    """A ``Model`` from a checkpoint file or a run folder (its ``best.npz``,
    or ``last.npz`` with ``which="last"``). ``imports``: modules that register
    the layers the model uses (besides those its config records)."""
    ckpt = checkpoint.read(checkpoint_path(path, which))
    if is_python_run(ckpt):           # trained with nets.fit(out=...): the net's own description
        net, record = rebuild(ckpt, imports)
        return Model(net, _checked(record, ckpt), None, ckpt.path)
    if not isinstance(ckpt.config, dict):
        raise checkpoint.CheckpointError(f"{checkpoint.format.label(ckpt.path)} holds no config to rebuild the model")
    source = Source(f"{ckpt.path} (its config)")
    apply_imports({"imports": []}, ckpt.path.parent, imports, "import")
    with source.placing():
        cfg = normalize(ckpt.config)
        apply_imports(cfg, ckpt.path.parent)
    record = _checked(pre.load(ckpt.meta, ckpt.arrays), ckpt) or _record_from_data(cfg, source)
    state = layers.get_rng().bit_generator.state     # building draws initial weights: leave the package rng alone
    try:
        layers.seed(cfg["seed"])
        with source.placing():
            net, _, _ = build_model(cfg["model"], recorded_shape(record), record.get("inputs"))
    finally:
        layers.get_rng().bit_generator.state = state
    checkpoint.restore(ckpt, net, weights_only=True)
    return Model(net.eval(), record, cfg, ckpt.path)


class Model:
    """A trained net with the preprocessing and class names it was trained with.
    A net with several inputs (``inputs``: their names) takes an Inputs, a tuple of
    arrays in that order or a dict by name; one with several outputs is read at its
    first (a Siamese net, task ``pairs``: its two embeddings' distance)."""

    def __init__(self, net, record, config, path=None):
        self.net, self.record, self.config, self.path = net, record, config, path
        self.task = record["task"]
        self.input_shape = recorded_shape(record)
        self.inputs = record.get("inputs")
        self.features = record.get("features")

    @property
    def classes(self):
        """Class names in index order; integer labels 0..C-1 where the data had integer labels
        (no names, or names that are just "0", "1", ...); None for regression."""
        if self.task == "regression":
            return None
        names = self.record.get("classes")
        if names and [str(c) for c in names] != [str(i) for i in range(len(names))]:
            return np.array(names)
        return np.arange(self.record["num_classes"])

    def check_inputs(self, X):
        """X as an ``(N, *input_shape)`` numeric array (an Inputs for several inputs): TypeError
        for strings or objects, ValueError for a ragged list, no samples, a wrong shape or NaN/inf
        (naming X, or the input)."""
        if self.inputs:
            return self._check_several(X)
        return self._check_one(X, self.input_shape)

    def _check_several(self, X):
        if isinstance(X, dict):
            missing = [n for n in self.inputs if n not in X]
            if missing:
                raise ValueError(f"the model takes inputs {', '.join(self.inputs)}; missing: {', '.join(missing)}")
            X = [X[n] for n in self.inputs]
        arrays = X.arrays if isinstance(X, Inputs) else X
        if not isinstance(arrays, (tuple, list)) or len(arrays) != len(self.inputs):
            raise ValueError(f"the model takes {len(self.inputs)} inputs ({', '.join(self.inputs)}): give an "
                             f"Inputs, a tuple of arrays or a dict by name")
        checked = []
        for name, A, shape in zip(self.inputs, arrays, self.input_shape):
            try:
                checked.append(self._check_one(A, shape))
            except ValueError as e:
                raise ValueError(f"input {name!r}: {e}") from None
        return Inputs(checked, self.inputs)

    def _check_one(self, X, want, name="X"):
        X = check_numbers(X, name, finite=False, samples=False)
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
        if not len(X):
            raise ValueError(f"{name} has no samples (shape {X.shape}); give at least one")
        bad = ~np.isfinite(X.reshape(len(X), -1))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"inputs hold NaN or inf (first at sample {i}, value {j})")
        return X

    def transform(self, X):
        """Raw inputs scaled with the training statistics, in the net's dtype."""
        return pre.scale_inputs(self.record, self.check_inputs(X))

    def outputs(self, X, batch_size=1000):
        """The net's raw outputs for raw inputs X, in batches of ``batch_size`` (a tuple of
        arrays for a net with several outputs)."""
        check_batch_size(batch_size, "Model.predict")
        X = self.transform(X)
        parts = [forward(self.net, X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        if parts:
            return concat_outputs(parts)
        shapes = self.net.output_shapes(*(self.input_shape if self.inputs else [self.input_shape]))
        empty = tuple(np.zeros((0,) + tuple(s), X.dtype) for s in shapes)
        return empty if len(empty) > 1 else empty[0]

    def main_output(self, X, batch_size=1000):
        """The output predictions read: the first output (a pairs model: the distance per pair)."""
        out = self.outputs(X, batch_size)
        if self.task == "pairs":
            return pair_distances(out[0], out[1])
        return out[0] if isinstance(out, tuple) else out

    def net_output_shape(self):
        """Per-sample output shape of the net (of its first output)."""
        return self.net.output_shapes(*(self.input_shape if self.inputs else [self.input_shape]))[0]

    def decode(self, X, beam=None, batch_size=1000):
        """A CTC model's label sequences for raw inputs X (lists of class indices): greedy
        decoding, or prefix beam search with ``beam`` prefixes."""
        if self.task != "ctc":
            raise ValueError(f"decode: this model is a {self.task} model, not a CTC model (label sequences)")
        return sequences.decode(self.outputs(X, batch_size), self.record["blank"], beam)

    def predict_proba(self, X, batch_size=1000):
        """(N, C) class probabilities, columns in ``classes`` order (binary: [P(0), P(1)])."""
        if self.task in ("regression", "pairs", "ctc", "steps"):
            what = {"regression": "regression", "ctc": "CTC model (its outputs are label sequences; predict reads "
                    "them)", "steps": "model with scores at every step (a language model)"}.get(
                self.task, "Siamese net (its outputs are embeddings; predict says same or different)")
            raise ValueError(f"predict_proba: this model is a {what} (no probability per sample)")
        return pre.probabilities(self.record, self.main_output(X, batch_size))

    def predict(self, X, batch_size=1000):
        """Class labels (the data's names) for classification; the values for regression; for a
        Siamese net (task ``pairs``), whether each pair is similar (its classes' names); for a
        CTC model (task ``ctc``), each sample's label sequence as text (greedy decoding)."""
        if self.task == "ctc":
            return np.array([sequences.as_text(s, self.classes, self.record["blank"])
                             for s in self.decode(X, None, batch_size)], object)
        out = self.main_output(X, batch_size)
        if self.task == "pairs":
            return self.classes[(out < self.record["threshold"]).astype(np.int64)]
        if self.task == "regression":
            return out.reshape(len(out)) if out.ndim == 2 and out.shape[1] == 1 else out
        return self.classes[pre.class_indices(self.record, out)]

    def __repr__(self):
        classes = None if self.classes is None else [c.item() for c in self.classes]
        return f"Model({self.task}, input {self.input_shape}, classes {classes}, from {self.path})"
