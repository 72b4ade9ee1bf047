"""CIFAR-10 in its binary version (``cifar-10-binary.tar.gz``): the folder
``cifar-10-batches-bin`` with ``data_batch_1.bin`` … ``data_batch_5.bin`` (the
50 000 training images) and ``test_batch.bin`` (10 000), each a run of 3073-byte
records: one label byte (0-9), then 1024 red, 1024 green and 1024 blue bytes
of a 32x32 image, rows first. No pickle is read: the Python version of the set
(``cifar-10-batches-py``, pickled dicts) is refused with a pointer to the binary one."""
import os
from pathlib import Path

import numpy as np

from ..config import ConfigError
from .base import DATASETS, Raw

RECORD = 1 + 3 * 32 * 32
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
HINT = ("download the binary version, cifar-10-binary.tar.gz, from https://www.cs.toronto.edu/~kriz/cifar.html, "
        "unpack it (tar xzf) and point data.path at its cifar-10-batches-bin folder")


def _refuse_python_version(folder):
    if (folder / "data_batch_1").is_file() or folder.name == "cifar-10-batches-py":
        raise ConfigError(f"'{folder}' holds CIFAR-10's Python version (pickled objects, which kubik never "
                          f"loads); {HINT}", ("data", "path"))


def read_batch(path):
    """(images (n, 3, 32, 32) uint8, labels (n,) int64) of one CIFAR-10 binary batch file."""
    try:
        blob = np.fromfile(path, np.uint8)
    except OSError as e:
        raise ConfigError(f"cannot read '{path}': {e.strerror or e}", ("data", "path")) from None
    if blob.size == 0 or blob.size % RECORD:
        raise ConfigError(f"'{path}' is not a CIFAR-10 binary batch: {blob.size} bytes is not a whole number of "
                          f"{RECORD}-byte records (label + 3x32x32 pixels)", ("data", "path"))
    records = blob.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        i = int(np.argmax(labels > 9))
        raise ConfigError(f"'{path}' record {i} has label {labels[i]}; CIFAR-10 labels are 0-9 (is this "
                          f"CIFAR-100's binary version?)", ("data", "path"))
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


@DATASETS.register(name="cifar10")
def cifar10(path="data/cifar-10-batches-bin", train_samples=None, test_samples=None):
    """CIFAR-10's binary batches in folder ``path``: (3, 32, 32) images with pixels
    0..255 and 10 classes; the five data batches are the training samples (the
    first ``train_samples`` of them, if given), test_batch.bin the test split (its
    first ``test_samples``)."""
    folder = Path(os.path.expanduser(str(path)))
    if folder.is_file():
        raise ConfigError(f"'{path}' is a file; {HINT}", ("data", "path"))
    if not folder.is_dir():
        raise ConfigError(f"CIFAR-10 folder not found: '{path}'; {HINT}", ("data", "path"))
    _refuse_python_version(folder)
    for key, n in (("train_samples", train_samples), ("test_samples", test_samples)):
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ConfigError(f"must be a positive integer or null (all), got {n!r}", ("data", key))
    missing = [f for f in TRAIN_FILES + (TEST_FILE,) if not (folder / f).is_file()]
    if missing:
        raise ConfigError(f"'{folder}' lacks {', '.join(missing)}; {HINT}", ("data", "path"))
    parts, total = [], 0
    for name in TRAIN_FILES:          # read only the files the asked-for samples need
        if train_samples is not None and total >= train_samples:
            break
        parts.append(read_batch(folder / name))
        total += len(parts[-1][1])
    X = np.concatenate([p[0] for p in parts])[:train_samples]
    y = np.concatenate([p[1] for p in parts])[:train_samples]
    X_test, y_test = read_batch(folder / TEST_FILE)
    meta = folder / "batches.meta.txt"
    names = [s.strip() for s in meta.read_text(errors="replace").splitlines() if s.strip()] if meta.is_file() else []
    classes = tuple(names) if len(names) == 10 else CLASSES
    return Raw(X, y, X_test[:test_samples], y_test[:test_samples], classes=classes)
