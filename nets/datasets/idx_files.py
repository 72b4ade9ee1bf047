"""MNIST-style IDX files (raw or gzip-compressed): ``read_idx`` and the
``idx`` loader (also registered as ``mnist``)."""
import gzip
import os
from pathlib import Path

import numpy as np

from ..config import ConfigError
from .base import DATASETS, Raw, existing_file

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path, key="path"):
    """Read an IDX file (MNIST's format; raw or gzip-compressed) into an array."""
    p = existing_file(path, key)
    with open(p, "rb") as f:
        blob = f.read()
    if blob[:2] == b"\x1f\x8b":
        try:
            blob = gzip.decompress(blob)
        except (OSError, EOFError) as e:
            raise ConfigError(f"'{path}' is a damaged gzip file ({e})", ("data", key)) from None
    if len(blob) < 4 or blob[:2] != b"\0\0" or blob[2] not in _IDX_TYPES:
        raise ConfigError(f"'{path}' is not an IDX file (bad magic number)", ("data", key))
    ndim = blob[3]
    if len(blob) < 4 + 4 * ndim:
        raise ConfigError(f"'{path}' is truncated (incomplete IDX header)", ("data", key))
    shape = tuple(int(d) for d in np.frombuffer(blob, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[blob[2]])
    need = int(np.prod(shape)) * dtype.itemsize
    have = len(blob) - 4 - 4 * ndim
    if have != need:
        raise ConfigError(f"'{path}' is {'truncated' if have < need else 'too long'}: header says {shape} "
                          f"({need} bytes of data), found {have}", ("data", key))
    return np.frombuffer(blob, dtype, offset=4 + 4 * ndim).reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx(folder, name, key):
    """``folder/name`` or ``folder/name.gz``, whichever exists."""
    base = Path(os.path.expanduser(str(folder))) / name
    for cand in (base, base.with_name(base.name + ".gz")):
        if cand.is_file():
            return cand
    raise ConfigError(
        f"IDX file not found: '{base}' (or '{base.name}.gz'). Put the MNIST files train-images-idx3-ubyte.gz, "
        f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz "
        f"(from http://yann.lecun.com/exdb/mnist/ or a mirror) in '{folder}', or set data.path", ("data", key))


@DATASETS.register(name="idx")
def idx(path="data/mnist", train_images="train-images-idx3-ubyte", train_labels="train-labels-idx1-ubyte",
        test_images="t10k-images-idx3-ubyte", test_labels="t10k-labels-idx1-ubyte", image=False):
    """MNIST-style IDX files in folder ``path`` (each raw or with .gz); the
    file names default to MNIST's. Images become flat vectors, or
    (1, H, W) with ``image: true``. The t10k files are the test split."""
    arrays = {}
    for key, name in (("train_images", train_images), ("train_labels", train_labels),
                      ("test_images", test_images), ("test_labels", test_labels)):
        arrays[key] = read_idx(_find_idx(path, name, "path"), key)
    for part in ("train", "test"):
        Xi, yi = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if len(Xi) != len(yi):
            raise ConfigError(f"{part} images ({len(Xi)}) and labels ({len(yi)}) differ in number", ("data", "path"))

    def shape(a):
        a = a.astype(np.float32)
        return a.reshape(len(a), 1, *a.shape[1:]) if image and a.ndim == 3 else a.reshape(len(a), -1)
    return Raw(shape(arrays["train_images"]), arrays["train_labels"].astype(np.int64),
               shape(arrays["test_images"]), arrays["test_labels"].astype(np.int64))


DATASETS.register(idx, name="mnist")
