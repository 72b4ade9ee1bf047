"""The data sets shipped in nets/data/: UCI optical digits and UCI breast
cancer Wisconsin (sources and columns: nets/data/README.md).

Both are ordinary CSV files with a header of feature names and a last column
``target`` (the integer label), so that their rows go to ``kubik predict`` or
any CSV reader as they are. The forms shipped before are still read: digits
without a header, breast cancer with the scikit-learn-style first line
``569,30,malignant,benign`` (rows, features, class names)."""
import csv
import gzip
import io

import numpy as np

from ..config import ConfigError
from .base import DATA_DIR, DATASETS, Raw


def counts_header(first, next_width=None):
    """The class names of a scikit-learn-style first line ``rows,features,name,...``
    (the form breast_cancer.csv had), or None when ``first`` is not one: two whole
    numbers, then names, and (when known) the next line has ``features + 1`` cells."""
    cells = [c.strip() for c in first]
    if len(cells) < 3 or not all(c.isdigit() for c in cells[:2]) or any(c.replace(".", "").isdigit()
                                                                       for c in cells[2:]):
        return None
    if next_width is not None and int(cells[1]) + 1 != next_width:
        return None
    return tuple(cells[2:])


def read_table(path):
    """(X float64, y int64, feature names or None, class names or None) of a bundled table
    (gzip or not) in either form."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(io.StringIO(f.read())) if r]
    names = classes = None
    if counts_header(rows[0], len(rows[1]) if len(rows) > 1 else None) is not None:   # the old breast cancer form
        classes, rows = counts_header(rows[0]), rows[1:]
    elif not all(c.strip().lstrip("-").replace(".", "", 1).isdigit() for c in rows[0]):
        names, rows = [c.strip() for c in rows[0][:-1]], rows[1:]
    table = np.array(rows, dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(np.int64), names, classes


@DATASETS.register(name="digits")
def digits(image=False, sequence=False):
    """UCI optical digits (1797 8x8 images, pixels 0..16, 10 classes: the
    labels are the digits); ``image: true`` gives (1, 8, 8) samples for conv
    nets, ``sequence: true`` (8, 8) sequences for recurrent nets (8 steps, one
    image row of 8 features each: the small cousin of sequential MNIST), else
    64 features (columns pixel_<row>_<column>)."""
    if image and sequence:
        raise ConfigError("digits: choose one of image: true and sequence: true", ("data", "sequence"))
    X, y, names, _ = read_table(DATA_DIR / "digits.csv.gz")
    X = X.reshape(-1, 1, 8, 8) if image else X.reshape(-1, 8, 8) if sequence else X
    return Raw(X, y, features=None if names is None else tuple(names), target="target",
               layout={"columns": 65, "feature_columns": list(range(64))})


@DATASETS.register(name="breast_cancer")
def breast_cancer():
    """UCI breast cancer Wisconsin (diagnostic): 569 samples, 30 features
    (named as in the file's header), labels 0 = malignant, 1 = benign."""
    X, y, names, classes = read_table(DATA_DIR / "breast_cancer.csv")
    return Raw(X, y, classes=classes or ("malignant", "benign"), features=None if names is None else tuple(names),
               target="target", layout={"columns": 31, "feature_columns": list(range(30))})
