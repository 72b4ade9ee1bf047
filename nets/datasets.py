"""Data sets: the bundled digits and breast-cancer sets, synthetic sets
(spirals, XOR, circles), MNIST-style IDX files and the user's own .npz / .csv,
plus seeded splitting and scaling.

    raw = load("digits", image=True)              # a Raw: X, y (+ X_test, y_test)
    data = prepare(cfg["data"], val_split=0.1)    # a Data: train / val / test splits, scaled

Loaders are registered by name in ``DATASETS``; their keyword arguments are
what a config's ``data`` section may add to ``name``, ``test_split``, ``seed``
and ``scale``. A loader that takes ``rng`` is given a generator seeded with
``data.seed``. A bad file or argument is a ConfigError naming ``data.<key>``.

Splits: the test split is drawn from ``np.random.default_rng(data.seed)``
alone (it depends only on the seed and the number of samples), the
validation split from the remaining samples with a second stream, so neither
changes with the training seed or the validation fraction. Scaling statistics
come from the training part only.
"""
import csv
import gzip
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from layers import Registry

from .config import ConfigError, suggest

DATASETS = Registry("data set")
DATA_DIR = Path(__file__).parent / "data"


@dataclass
class Raw:
    """What a loader returns. ``y`` holds integer class labels (or floats for
    regression); ``X_test``/``y_test`` when the data comes with its own test set."""
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray = None
    y_test: np.ndarray = None
    classes: tuple = None


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

    @property
    def input_shape(self):
        return tuple(self.X_train.shape[1:])


def _file(path, key="path"):
    p = Path(os.path.expanduser(str(path)))
    if not p.is_file():
        raise ConfigError(f"data file not found: '{path}'" + (" (it is a folder)" if p.is_dir() else ""), ("data", key))
    return p


# -- bundled sets ----------------------------------------------------------------------------

@DATASETS.register(name="digits")
def digits(image=False):
    """UCI optical digits (1797 8x8 images, pixels 0..16, 10 classes);
    ``image: true`` gives (1, 8, 8) samples for conv nets, else 64 features."""
    with gzip.open(DATA_DIR / "digits.csv.gz", "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    X, y = table[:, :64], table[:, 64].astype(np.int64)
    return Raw(X.reshape(-1, 1, 8, 8) if image else X, y, classes=tuple(str(i) for i in range(10)))


@DATASETS.register(name="breast_cancer")
def breast_cancer():
    """UCI breast cancer Wisconsin (diagnostic): 569 samples, 30 features,
    labels 0 = malignant, 1 = benign."""
    with open(DATA_DIR / "breast_cancer.csv") as f:
        head = f.readline().strip().split(",")
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    return Raw(table[:, :-1], table[:, -1].astype(np.int64), classes=tuple(head[2:]))


# -- synthetic sets ---------------------------------------------------------------------------

def _positive(name, key, v):
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ConfigError(f"{name}: {key} must be a positive integer, got {v!r}", ("data", key))


def _nonneg(name, key, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
        raise ConfigError(f"{name}: {key} must be a number >= 0, got {v!r}", ("data", key))


@DATASETS.register(name="spirals")
def spirals(n_samples=600, classes=3, noise=0.2, turns=1.0, rng=None):
    """``classes`` interleaved 2-D spiral arms (CS231n's toy set), n_samples
    in all; points ``r·(sin t, cos t)`` with t = turns·4·r + 2πk/classes + noise·N(0,1)."""
    _positive("spirals", "n_samples", n_samples), _positive("spirals", "classes", classes)
    _nonneg("spirals", "noise", noise), _nonneg("spirals", "turns", turns)
    y = np.arange(n_samples) % classes
    r = rng.random(n_samples)
    t = turns * 4.0 * r + 2.0 * math.pi * y / classes + noise * rng.standard_normal(n_samples)
    return Raw(np.stack([r * np.sin(t), r * np.cos(t)], axis=1), y.astype(np.int64))


@DATASETS.register(name="xor")
def xor(n_samples=400, noise=0.1, rng=None):
    """Points around the four corners (±1, ±1) with Gaussian noise; label 1
    where the signs differ (XOR), else 0."""
    _positive("xor", "n_samples", n_samples), _nonneg("xor", "noise", noise)
    corners = rng.integers(0, 2, (n_samples, 2))
    X = (2.0 * corners - 1.0) + noise * rng.standard_normal((n_samples, 2))
    return Raw(X, (corners[:, 0] ^ corners[:, 1]).astype(np.int64))


@DATASETS.register(name="circles")
def circles(n_samples=400, noise=0.05, factor=0.5, rng=None):
    """Two concentric circles (radius 1: label 0, radius ``factor``: label 1) plus noise."""
    _positive("circles", "n_samples", n_samples), _nonneg("circles", "noise", noise)
    if not (isinstance(factor, (int, float)) and 0 < factor < 1):
        raise ConfigError(f"circles: factor must be in (0, 1), got {factor!r}", ("data", "factor"))
    y = np.arange(n_samples) % 2
    t = rng.random(n_samples) * 2.0 * math.pi
    radius = np.where(y == 1, factor, 1.0)
    X = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1) + noise * rng.standard_normal((n_samples, 2))
    return Raw(X, y.astype(np.int64))


# -- IDX (MNIST) --------------------------------------------------------------------------------

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path, key="path"):
    """Read an IDX file (MNIST's format; raw or gzip-compressed) into an array."""
    p = _file(path, key)
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


# -- the user's own files ---------------------------------------------------------------------

@DATASETS.register(name="npz")
def npz(path, x_key="X", y_key="y", x_test_key=None, y_test_key=None):
    """Arrays from an .npz file (loaded with allow_pickle=False): features
    ``x_key`` (N, ...) and targets ``y_key`` (N,); optionally a test set."""
    p = _file(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise ValueError("a single array, not an .npz archive")
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError) as e:
        raise ConfigError(f"cannot read '{path}' as .npz: {str(e).splitlines()[0]}", ("data", "path")) from None
    got = {}
    for key, name in (("x_key", x_key), ("y_key", y_key), ("x_test_key", x_test_key), ("y_test_key", y_test_key)):
        if name is None:
            continue
        if name not in arrays:
            raise ConfigError(f"'{path}' has no array {name!r}{suggest(name, arrays)}; it has: {', '.join(arrays)}",
                              ("data", key))
        got[key] = arrays[name]
    if (x_test_key is None) != (y_test_key is None):
        raise ConfigError("give both x_test_key and y_test_key, or neither", ("data", "x_test_key"))
    return Raw(got["x_key"], _targets(got["y_key"], "y_key"), got.get("x_test_key"),
               None if y_test_key is None else _targets(got["y_test_key"], "y_test_key"))


def _targets(y, key):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.dtype.kind == "f":
        return y.astype(np.int64) if np.all(np.isfinite(y)) and np.array_equal(y, np.round(y)) and y.ndim == 1 else y
    raise ConfigError(f"targets must be numbers, got dtype {y.dtype}", ("data", key))


def _column(spec, header, ncols, key):
    if isinstance(spec, bool) or not isinstance(spec, (int, str)):
        raise ConfigError(f"a column is a name or an index, got {spec!r}", ("data", key))
    if isinstance(spec, int):
        if not -ncols <= spec < ncols:
            raise ConfigError(f"column index {spec} out of range (the file has {ncols} columns)", ("data", key))
        return spec % ncols
    if header is None:
        raise ConfigError(f"column {spec!r} named, but the file has no header row; use an index", ("data", key))
    if spec not in header:
        raise ConfigError(f"no column {spec!r}{suggest(spec, header)}; columns: {', '.join(header)}", ("data", key))
    return header.index(spec)


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


@DATASETS.register(name="csv")
def csv_file(path, target=None, features=None, header="auto", delimiter=","):
    """A CSV file: ``target`` and ``features`` name columns (header names or
    0-based indices; by default (target: null) the last column is the target and all others
    are features). ``header``: true, false or auto (a first row that is not all
    numbers). Integer targets are class labels; text targets become classes in
    sorted order; other numbers make a regression target."""
    p = _file(path)
    with open(p, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter=delimiter) if r]
    if not rows:
        raise ConfigError(f"'{path}' is empty", ("data", "path"))
    if header not in (True, False, "auto"):
        raise ConfigError(f"header must be true, false or auto, got {header!r}", ("data", "header"))
    has_header = header is True or (header == "auto" and not all(_is_number(c) for c in rows[0]))
    head = [c.strip() for c in rows[0]] if has_header else None
    body = rows[1:] if has_header else rows
    ncols = len(rows[0])
    for i, r in enumerate(body):
        if len(r) != ncols:
            raise ConfigError(f"'{path}' line {i + 1 + has_header}: {len(r)} columns, expected {ncols}", ("data", "path"))
    t = ncols - 1 if target is None else _column(target, head, ncols, "target")
    if features is None:
        cols = [c for c in range(ncols) if c != t]
    elif isinstance(features, list) and features:
        cols = [_column(c, head, ncols, "features") for c in features]
    else:
        raise ConfigError(f"features must be a non-empty list of columns, got {features!r}", ("data", "features"))
    X = np.empty((len(body), len(cols)))
    for j, c in enumerate(cols):
        try:
            X[:, j] = [float(r[c]) for r in body]
        except ValueError:
            bad = next(i for i, r in enumerate(body) if not _is_number(r[c]))
            name = head[c] if head else c
            raise ConfigError(f"'{path}' line {bad + 1 + has_header}: column {name!r} holds {body[bad][c]!r}, "
                              f"not a number", ("data", "features")) from None
    raw_t = [r[t].strip() for r in body]
    if all(_is_number(v) for v in raw_t):
        return Raw(X, _targets(np.array([float(v) for v in raw_t]), "target"))
    classes = tuple(sorted(set(raw_t)))
    return Raw(X, np.array([classes.index(v) for v in raw_t], np.int64), classes=classes)


# -- splitting and scaling ----------------------------------------------------------------------

def load(name, rng=None, **kwargs):
    """Call the loader ``name`` with ``kwargs`` (arguments already checked)."""
    loader = DATASETS.get(name)
    if "rng" in loader.__code__.co_varnames[:loader.__code__.co_argcount]:
        kwargs["rng"] = rng if rng is not None else np.random.default_rng(0)
    return loader(**kwargs)


def split_indices(n, fraction, seed, stream=0):
    """(kept, held-out) index arrays: a seeded permutation's first
    round(fraction·n) indices are held out; depends only on n, fraction, seed, stream."""
    perm = np.random.default_rng([int(seed), int(stream)]).permutation(n)
    k = int(round(fraction * n))
    return np.sort(perm[k:]), np.sort(perm[:k])


def fit_scaler(X, how):
    """(shift, scale) from training features: X' = (X − shift) / scale."""
    if how == "none" or not len(X):
        return 0.0, 1.0
    flat = X.reshape(len(X), -1)
    if how == "standard":
        shift, scale = flat.mean(0, dtype=np.float64), flat.std(0, dtype=np.float64)
    elif how == "minmax":
        shift, scale = flat.min(0), flat.max(0) - flat.min(0)
    else:  # "max": divide by the largest absolute value (pixels to [0, 1])
        shift, scale = 0.0, float(max(flat.max(), -flat.min()))
    scale = np.where(np.asarray(scale) > 1e-12, scale, 1.0)
    return shift, scale


def apply_scaler(X, shift, scale):
    """(X − shift) / scale as float32 (statistics applied in float32)."""
    flat = X.reshape(len(X), int(np.prod(X.shape[1:]))).astype(np.float32)
    flat -= np.asarray(shift, np.float32)
    flat /= np.asarray(scale, np.float32)
    return flat.reshape(X.shape)


def prepare(data_cfg, val_split=0.0, loader_args=None):
    """Load the data named in a (normalized) ``data`` section and split it into
    scaled float32 train / val / test parts."""
    args = dict(loader_args if loader_args is not None else
                {k: v for k, v in data_cfg.items() if k not in ("name", "test_split", "seed", "scale")})
    seed = data_cfg.get("seed", 0)
    raw = load(data_cfg["name"], rng=np.random.default_rng([int(seed), 2]), **args)
    X, y = np.asarray(raw.X), np.asarray(raw.y)
    if len(X) != len(y):
        raise ConfigError(f"{len(X)} samples but {len(y)} targets", ("data",))
    if len(X) < 2:
        raise ConfigError(f"the data set has {len(X)} samples", ("data",))
    if raw.X_test is not None:
        X_test, y_test = np.asarray(raw.X_test), np.asarray(raw.y_test)
    else:
        keep, test = split_indices(len(X), data_cfg.get("test_split", 0.2), seed, 0)
        X, y, X_test, y_test = X[keep], y[keep], X[test], y[test]
    keep, val = split_indices(len(X), val_split, seed, 1)
    X, y, X_val, y_val = X[keep], y[keep], X[val], y[val]
    if not len(X):
        raise ConfigError("no training samples left after the test and validation splits", ("data", "test_split"))
    shift, scale = fit_scaler(X, data_cfg.get("scale", "standard"))
    classify = y.dtype.kind in "iu"
    num_classes = int(max(y.max(), y_test.max() if len(y_test) else 0, y_val.max() if len(y_val) else 0)) + 1 if classify else None
    return Data(apply_scaler(X, shift, scale), y, apply_scaler(X_val, shift, scale), y_val,
                apply_scaler(X_test, shift, scale), y_test, num_classes, raw.classes)
