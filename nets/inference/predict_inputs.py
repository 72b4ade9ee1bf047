"""Reading new inputs for ``kubik predict``, in batches so that memory stays
bounded: a csv (with or without the target column; columns picked by header
name where the file and the model have names), an .npz (array ``X``, or its
only array; for a model with several inputs, one array per input name) or an
IDX file (MNIST's format, raw or .gz).

``read_batches(path, model, batch_size)`` yields raw (unscaled) arrays of at
most ``batch_size`` samples; a file that does not fit the model is a
ValueError naming the file, the line and what was expected.
"""
import csv
import gzip
import itertools

import numpy as np

from ..config import ConfigError
from ..datasets import read_idx
from ..datasets.files import _is_number
from ..datasets.inputs import Inputs


def _magic(path):
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            head = f.read(4)
    return head


def _columns(path, head, ncols, model):
    """The column indices that hold the model's features, in its order."""
    want = model.features
    n = int(np.prod(model.input_shape))
    if head is not None and want:
        missing = [f for f in want if f not in head]
        if missing:
            raise ValueError(f"'{path}' lacks the column(s) {', '.join(map(repr, missing[:5]))} the model was "
                             f"trained on; it has: {', '.join(head)}")
        return [head.index(f) for f in want]
    target, layout = model.record.get("target"), model.record.get("layout")
    if layout and ncols == layout["columns"] and ncols != n:   # laid out as the training table
        return list(layout["feature_columns"])
    if ncols == n:
        return list(range(ncols))
    if ncols == n + 1:   # the target column is there too: drop it
        t = head.index(target) if head is not None and isinstance(target, str) and target in head else (
            target % ncols if isinstance(target, int) else ncols - 1)
        return [c for c in range(ncols) if c != t]
    raise ValueError(f"'{path}' has {ncols} columns; the model takes {n} features (plus, optionally, the target "
                     f"column)")


def _csv_batches(path, model, batch_size):
    with open(path, newline="", encoding="utf-8") as f:
        rows = (r for r in csv.reader(f) if r)
        first = next(rows, None)
        if first is None:
            raise ValueError(f"'{path}' is empty")
        has_header = not all(_is_number(c) for c in first)
        head = [c.strip() for c in first] if has_header else None
        cols = _columns(path, head, len(first), model)
        line = 1 + has_header
        body = rows if has_header else itertools.chain([first], rows)
        while True:
            chunk = list(itertools.islice(body, batch_size))
            if not chunk:
                return
            for i, r in enumerate(chunk):
                if len(r) != len(first):
                    raise ValueError(f"'{path}' line {line + i}: {len(r)} columns, expected {len(first)}")
            try:   # a bad cell is looked for only when the batch fails
                X = np.array([[float(r[c]) for c in cols] for r in chunk], np.float64)
            except ValueError:
                i, c = next((i, c) for i, r in enumerate(chunk) for c in cols if not _is_number(r[c]))
                name = head[c] if head else c
                raise ValueError(f"'{path}' line {line + i}: column {name!r} holds {chunk[i][c]!r}, "
                                 f"not a number") from None
            bad = np.argwhere(~np.isfinite(X))
            if len(bad):
                i, j = bad[0]
                name = head[cols[j]] if head else cols[j]
                raise ValueError(f"'{path}' line {line + i}: column {name!r} is {chunk[i][cols[j]].strip()!r} "
                                 f"(NaN/inf inputs cannot be predicted)")
            line += len(chunk)
            yield X


def _array(path, inputs=None):
    if str(path).endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.files)
                if inputs:          # a model with several inputs: one array per input name
                    missing = [n for n in inputs if n not in keys]
                    if missing:
                        raise ValueError(f"'{path}' lacks the input array(s) {', '.join(map(repr, missing))}; the "
                                         f"model takes {', '.join(inputs)} (it has {', '.join(keys)})")
                    return Inputs([z[n] for n in inputs], inputs)
                key = "X" if "X" in keys else (keys[0] if len(keys) == 1 else None)
                if key is None:
                    raise ValueError(f"'{path}' has no array 'X' (it has {', '.join(keys)})")
                return z[key]
        except (OSError, EOFError) as e:
            raise ValueError(f"cannot read '{path}' as .npz: {e}") from None
    try:
        return read_idx(path)
    except ConfigError as e:
        raise ValueError(e.message) from None


def read_batches(path, model, batch_size=1000):
    """Raw input batches (np.ndarray, at most ``batch_size`` samples) from ``path``."""
    if batch_size < 1:
        raise ValueError(f"--batch-size must be a positive integer, got {batch_size}")
    path = str(path)
    magic = _magic(path)
    inputs = getattr(model, "inputs", None)
    if inputs and magic[:2] != b"PK":
        raise ValueError(f"the model takes {len(inputs)} inputs ({', '.join(inputs)}); give an .npz with an array "
                         f"of each name")
    if magic[:2] == b"PK" or (magic[:2] == b"\0\0" and len(magic) == 4):
        X = _array(path, inputs)
        if not inputs and X.ndim == 1 and np.prod(model.input_shape) != 1:
            X = X.reshape(1, -1)
        for i in range(0, len(X), batch_size):
            yield X[i:i + batch_size]
        return
    yield from _csv_batches(path, model, batch_size)
