"""The data-set registry and the two records data travels in: ``Raw`` (what
a loader returns) and ``Data`` (prepared splits); plus the checks loaders
share (a file that must exist)."""
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...layers import Registry

from ..config import ConfigError
from .inputs import Inputs

DATASETS = Registry("data set")
DATA_DIR = Path(__file__).parent.parent / "data"
SPLIT_KEYS = ("name", "test_split", "seed", "scale", "augment")   # the data section's own keys; the rest: loader's
TARGET_INPUT = "input"


def target_is_input(data_section):
    """Whether ``data.target: input`` makes the input its own target (an autoencoder). Another
    ``target`` value is the loader's own argument (csv: the target column)."""
    return data_section.get("target") == TARGET_INPUT


def loader_kwargs(data_section):
    """The arguments a ``data`` section gives its loader (all but SPLIT_KEYS and ``target: input``)."""
    return {k: v for k, v in data_section.items()
            if k not in SPLIT_KEYS and not (k == "target" and v == TARGET_INPUT)}


@dataclass
class Raw:
    """What a loader returns. ``y`` holds integer class labels (or floats for
    regression); ``X_test``/``y_test`` when the data comes with its own test set,
    ``X_val``/``y_val`` when it comes with its own validation set (used instead of a
    random ``train.val_split``, e.g. a text split by position).
    ``X`` is an Inputs for data with several inputs (pairs, image + side vector)."""
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray = None
    y_test: np.ndarray = None
    classes: tuple = None
    features: tuple = None       # names of the feature columns (a csv with a header)
    target: object = None        # the target column's name (or index) in the file
    layout: dict = None          # a table's {"columns": count, "feature_columns": [indices]}
    points: tuple = None         # pair data: ((X, labels) of the training part, (X, labels) of the test
                                 # part): the single samples and their classes, for embedding plots
    X_val: np.ndarray = None
    y_val: np.ndarray = None


@dataclass
class Data:
    """Prepared splits, float32 features, scaled with training statistics."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    num_classes: int = None      # None for a regression target
    classes: tuple = None
    shift: object = 0.0          # the fitted scaler: X' = (X - shift) / scale (training statistics)
    scale: object = 1.0
    features: tuple = None       # feature (column) names, where the data has them
    target: object = None        # the target column's name or index, where the data is a table
    layout: dict = None          # a table's column count and feature column indices
    points: tuple = None         # pair data: the test part's single samples (scaled as input 0) and classes

    @property
    def input_shape(self):
        """The per-sample shape; a list of them for several inputs (Inputs)."""
        if isinstance(self.X_train, Inputs):
            return self.X_train.shapes
        return tuple(self.X_train.shape[1:])

    @property
    def input_names(self):
        """The names of several inputs (None for one input)."""
        return self.X_train.names if isinstance(self.X_train, Inputs) else None

    def select_inputs(self, names):
        """Put the inputs in the order of ``names`` (a graph's inputs), with their
        scalers; ValueError when the names differ from the data's."""
        order = [self.input_names.index(n) for n in names if n in self.input_names]
        for key in ("X_train", "X_val", "X_test"):
            setattr(self, key, getattr(self, key).select(names))
        if isinstance(self.shift, list):
            self.shift, self.scale = [self.shift[i] for i in order], [self.scale[i] for i in order]
        return self


def existing_file(path, key="path"):
    """``path`` (with ~ expanded) as a Path; ConfigError at ``data.<key>`` if it is not a file."""
    p = Path(os.path.expanduser(str(path)))
    if not p.is_file():
        raise ConfigError(f"data file not found: '{path}'" + (" (it is a folder)" if p.is_dir() else ""), ("data", key))
    return p
