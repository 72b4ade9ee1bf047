"""The user's own data: ``npz`` (arrays from an .npz archive, no pickle) and
``csv`` (columns by header name or index; text targets become classes)."""
import csv
import zipfile
import zlib

import numpy as np

from ..config import ConfigError, suggest
from .base import DATASETS, Raw, existing_file
from .bundled import counts_header
from .inputs import Inputs


def _targets(y, key):
    """Integer labels as int64; whole-number float labels too; other floats
    (a regression target) as they are; anything else is a ConfigError."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.dtype.kind == "f":
        return y.astype(np.int64) if np.all(np.isfinite(y)) and np.array_equal(y, np.round(y)) and y.ndim == 1 else y
    raise ConfigError(f"targets must be numbers, got dtype {y.dtype}", ("data", key))


@DATASETS.register(name="npz")
def npz(path, x_key="X", y_key="y", x_test_key=None, y_test_key=None, inputs=None, target=None, test_inputs=None):
    """Arrays from an .npz file (loaded with allow_pickle=False): features
    ``x_key`` (N, ...) and targets ``y_key`` (N,); optionally a test set
    (``x_test_key``, ``y_test_key``). A net with several inputs (a graph) takes
    ``inputs: [x1, x2]``: the arrays of those names, each mapped to the graph input
    of the same name (``test_inputs``: their test arrays, in the same order);
    ``target`` names the target array (default ``y_key``)."""
    p = existing_file(path)
    try:
        with open(p, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ConfigError(f"cannot read '{path}': {e.strerror or e}", ("data", "path")) from None
    if magic != b"PK\x03\x04":   # every .npz is a zip archive; numpy would suggest pickle for anything else
        raise ConfigError(f"cannot read '{path}' as .npz: not a zip archive", ("data", "path"))
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as e:
        why = "it holds pickled Python objects, which kubik never loads" if "allow_pickle" in str(e) else \
            str(e).splitlines()[0][:160]
        raise ConfigError(f"cannot read '{path}' as .npz: {why}", ("data", "path")) from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise ConfigError(f"cannot read '{path}' as .npz: damaged or truncated "
                          f"({(str(e).splitlines() or [type(e).__name__])[0][:160]})", ("data", "path")) from None
    if inputs is not None:
        return _several_inputs(path, arrays, inputs, target or y_key, test_inputs, y_test_key)
    got = {}
    for key, name in (("x_key", x_key), ("y_key", target or y_key), ("x_test_key", x_test_key),
                      ("y_test_key", y_test_key)):
        if name is None:
            continue
        got[key] = _array(path, arrays, name, "target" if key == "y_key" and target else key)
    if (x_test_key is None) != (y_test_key is None):
        raise ConfigError("give both x_test_key and y_test_key, or neither", ("data", "x_test_key"))
    return Raw(got["x_key"], _targets(got["y_key"], "y_key"), got.get("x_test_key"),
               None if y_test_key is None else _targets(got["y_test_key"], "y_test_key"))


def _array(path, arrays, name, key):
    if not isinstance(name, str) or name not in arrays:
        raise ConfigError(f"'{path}' has no array {name!r}{suggest(str(name), arrays)}; it has: {', '.join(arrays)}",
                          ("data", key))
    return arrays[name]


def _names(value, key):
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value) \
            or len(set(value)) != len(value):
        raise ConfigError(f"expected a list of distinct array names, got {value!r}", ("data", key))
    return value


def _inputs(arrays, names, key):
    try:
        return Inputs(arrays, names)
    except (ValueError, TypeError) as e:
        raise ConfigError(str(e), ("data", key)) from None


def _several_inputs(path, arrays, inputs, target, test_inputs, y_test_key):
    """Raw data of a net with several inputs: Inputs named as the arrays ``inputs``."""
    names = _names(inputs, "inputs")
    X = _inputs([_array(path, arrays, n, "inputs") for n in names], names, "inputs")
    if len(X.arrays[0]) != len(_array(path, arrays, target, "target")):
        raise ConfigError(f"'{path}': {target!r} has {len(arrays[target])} targets, the inputs {len(X)} samples",
                          ("data", "target"))
    X_test = y_test = None
    if (test_inputs is None) != (y_test_key is None):
        raise ConfigError("give both test_inputs and y_test_key, or neither", ("data", "test_inputs"))
    if test_inputs is not None:
        if len(_names(test_inputs, "test_inputs")) != len(names):
            raise ConfigError(f"test_inputs must name one array per input ({len(names)}), got {test_inputs}",
                              ("data", "test_inputs"))
        X_test = _inputs([_array(path, arrays, n, "test_inputs") for n in test_inputs], names, "test_inputs")
        y_test = _targets(_array(path, arrays, y_test_key, "y_test_key"), "y_test_key")
    return Raw(X, _targets(arrays[target], "target"), X_test, y_test)


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
    p = existing_file(path)
    try:
        with open(p, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.reader(f, delimiter=delimiter) if r]
    except UnicodeDecodeError as e:
        raise ConfigError(f"'{path}' is not UTF-8 text (byte {e.object[e.start:e.start + 1].hex()} at offset "
                          f"{e.start}); save it as UTF-8", ("data", "path")) from None
    except (OSError, csv.Error, TypeError) as e:
        raise ConfigError(f"cannot read '{path}' as csv: {str(e)[:160]}", ("data", "path")) from None
    if not rows:
        raise ConfigError(f"'{path}' is empty", ("data", "path"))
    if header not in (True, False, "auto"):
        raise ConfigError(f"header must be true, false or auto, got {header!r}", ("data", "header"))
    old_classes = counts_header(rows[0], len(rows[1]) if len(rows) > 1 else None) if header == "auto" else None
    if old_classes is not None:       # the scikit-learn-style line breast_cancer.csv once began with
        rows = rows[1:]
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
    names = tuple(head[c] for c in cols) if head else None
    layout = {"columns": ncols, "feature_columns": list(cols)}   # where the features sit, for kubik predict
    if all(_is_number(v) for v in raw_t):
        y = _targets(np.array([float(v) for v in raw_t]), "target")
        classes = old_classes if old_classes and y.dtype.kind == "i" and y.max() < len(old_classes) else None
        return Raw(X, y, classes=classes, features=names, target=head[t] if head else t, layout=layout)
    classes = tuple(sorted(set(raw_t)))
    return Raw(X, np.array([classes.index(v) for v in raw_t], np.int64), classes=classes, features=names,
               target=head[t] if head else t, layout=layout)
