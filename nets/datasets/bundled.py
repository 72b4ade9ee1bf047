"""The data sets shipped in nets/data/: UCI optical digits and UCI breast
cancer Wisconsin (sources: nets/data/README.md)."""
import gzip

import numpy as np

from ..config import ConfigError
from .base import DATA_DIR, DATASETS, Raw


@DATASETS.register(name="digits")
def digits(image=False, sequence=False):
    """UCI optical digits (1797 8x8 images, pixels 0..16, 10 classes);
    ``image: true`` gives (1, 8, 8) samples for conv nets, ``sequence: true``
    (8, 8) sequences for recurrent nets (8 steps, one image row of 8 features
    each: the small cousin of sequential MNIST), else 64 features."""
    if image and sequence:
        raise ConfigError("digits: choose one of image: true and sequence: true", ("data", "sequence"))
    with gzip.open(DATA_DIR / "digits.csv.gz", "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    X, y = table[:, :64], table[:, 64].astype(np.int64)
    X = X.reshape(-1, 1, 8, 8) if image else X.reshape(-1, 8, 8) if sequence else X
    return Raw(X, y, classes=tuple(str(i) for i in range(10)))


@DATASETS.register(name="breast_cancer")
def breast_cancer():
    """UCI breast cancer Wisconsin (diagnostic): 569 samples, 30 features,
    labels 0 = malignant, 1 = benign."""
    with open(DATA_DIR / "breast_cancer.csv") as f:
        head = f.readline().strip().split(",")
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    return Raw(table[:, :-1], table[:, -1].astype(np.int64), classes=tuple(head[2:]))
