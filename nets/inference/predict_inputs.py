"""Reading new inputs for ``kubik predict``, in batches so that memory stays
bounded: a csv (with or without the target column; columns picked by header
name where the file and the model have names), an .npz (array ``X``, or its
only array; for a model with several inputs, one array per input name), an .npy
or an IDX file (MNIST's format, raw or .gz).

``read_batches(path, model, batch_size)`` yields raw (unscaled) arrays of at
most ``batch_size`` samples; a file that does not fit the model, or is not
what it seems, is a ValueError naming the file (and the line, for a csv) and
what was expected: a truncated or garbled archive, a 0-d array, strings or
Python objects, a cell of a megabyte, text that is not UTF-8.

Whether a csv's first row is a header is decided, not guessed from one odd
cell: it is one when it holds every feature name the model was trained on, or
when none of its cells is a number; any other row is data, and a cell that is
not a number is an error naming its line, so no row is ever dropped. A UTF-8
byte-order mark is ignored, and so is an empty last column that every row
has (a trailing comma).
"""
import csv
import gzip
import itertools
import zipfile
import zlib

import numpy as np

from ..config import ConfigError
from ..datasets import read_idx
from ..datasets.bundled import counts_header
from ..datasets.files import _is_number
from ..datasets.inputs import Inputs

NPY_MAGIC = b"\x93NUMPY"
NUMERIC = "biuf"       # bool, signed and unsigned integers, floats


def _magic(path):
    with open(path, "rb") as f:
        head = f.read(6)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as f:
                head = f.read(6)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"'{path}' is a damaged gzip file ({_first(e)})") from None
    return head


def _first(e):
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:160]


def _columns(path, head, ncols, model):
    """The column indices that hold the model's features, in its order: by name where the
    header names any of them (then all must be there), else by position."""
    want = model.features
    n = int(np.prod(model.input_shape))
    if head is not None and want and set(want) & set(head):
        missing = [f for f in want if f not in head]
        if missing:
            raise ValueError(f"'{path}' lacks the column(s) {', '.join(map(repr, missing[:5]))} the model was "
                             f"trained on; it has: {', '.join(head)[:300]}")
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


def is_header(cells, model):
    """Whether a csv's first row (``cells``) is a header: it names every feature the model
    was trained on, or none of its cells is a number."""
    names = [c.strip() for c in cells]
    if model.features and set(model.features) <= set(names):
        return True
    return not any(_is_number(c) for c in names)


def _rows(path, f):
    """(line number, cells) of a csv's non-empty lines; a csv error names its line."""
    reader = csv.reader(f)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise ValueError(f"'{path}' line {reader.line_num}: not a table of numbers ({_first(e)})") from None
        if row:
            yield reader.line_num, row


def _csv_batches(path, model, batch_size):
    with open(path, newline="", encoding="utf-8-sig") as f:      # -sig: a byte-order mark is not a cell
        rows = _rows(path, f)
        first = next(rows, None)
        if first is None:
            raise ValueError(f"'{path}' is empty")
        if counts_header(first[1]) is not None:      # 569,30,malignant,benign: the old bundled form's line
            second = next(rows, None)
            if second is not None and counts_header(first[1], len(second[1])) is not None:
                first = second
            elif second is not None:
                rows = itertools.chain([second], rows)
        trailing = len(first[1]) > 1 and first[1][-1].strip() == ""    # "1,2,3," : a trailing comma
        width = len(first[1]) - trailing
        has_header = is_header(first[1][:width], model)
        head = [c.strip() for c in first[1][:width]] if has_header else None
        cols = _columns(path, head, width, model)
        body = rows if has_header else itertools.chain([first], rows)
        while True:
            chunk = list(itertools.islice(body, batch_size))
            if not chunk:
                return
            cells = []
            for line, r in chunk:
                if trailing and len(r) == width + 1 and r[-1].strip() == "":
                    r = r[:width]
                if len(r) != width:
                    raise ValueError(f"'{path}' line {line}: {len(r)} columns, expected {width}")
                cells.append(r)
            try:   # a bad cell is looked for only when the batch fails
                X = np.array([[float(r[c]) for c in cols] for r in cells], np.float64)
            except ValueError:
                i, c = next((i, c) for i, r in enumerate(cells) for c in cols if not _is_number(r[c]))
                name = head[c] if head else c
                raise ValueError(f"'{path}' line {chunk[i][0]}: column {name!r} holds {cells[i][c][:40]!r}, "
                                 f"not a number") from None
            bad = np.argwhere(~np.isfinite(X))
            if len(bad):
                i, j = bad[0]
                name = head[cols[j]] if head else cols[j]
                raise ValueError(f"'{path}' line {chunk[i][0]}: column {name!r} is {cells[i][cols[j]].strip()[:40]!r} "
                                 f"(NaN/inf inputs cannot be predicted)")
            yield X


def _npz(path, model):
    inputs = getattr(model, "inputs", None)
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.files)
            if inputs:          # a model with several inputs: one array per input name
                missing = [n for n in inputs if n not in keys]
                if missing:
                    raise ValueError(f"'{path}' lacks the input array(s) {', '.join(map(repr, missing))}; the "
                                     f"model takes {', '.join(inputs)} (it has {', '.join(keys)[:200]})")
                return Inputs([_checked(path, z[n], model, n) for n in inputs], inputs)
            key = "X" if "X" in keys else (keys[0] if len(keys) == 1 else None)
            if key is None:
                raise ValueError(f"'{path}' has no array 'X' (it has {', '.join(keys)[:200] or 'no arrays'})")
            return z[key]
    except ValueError as e:
        if str(e).startswith(f"'{path}'"):
            raise
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise ValueError(f"'{path}' holds Python objects (pickled), which kubik never loads") from None
        raise ValueError(f"cannot read '{path}' as .npz: {_first(e)}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, NotImplementedError) as e:
        raise ValueError(f"cannot read '{path}' as .npz: damaged or truncated ({_first(e)})") from None


def _npy(path):
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise ValueError(f"'{path}' holds Python objects (pickled), which kubik never loads") from None
        raise ValueError(f"cannot read '{path}' as .npy: {_first(e)}") from None
    except (OSError, EOFError) as e:
        raise ValueError(f"cannot read '{path}' as .npy: damaged or truncated ({_first(e)})") from None


def _idx(path):
    try:
        return read_idx(path)
    except ConfigError as e:
        raise ValueError(e.message) from None


def _checked(path, X, model, name=None):
    """An array read from ``path`` as a batch of samples: numbers, at least one axis
    (``name``: which input of a model with several)."""
    what = f"'{path}'" + (f" (array {name!r})" if name else "")
    if X.dtype.kind not in NUMERIC:
        kind = {"U": "strings", "S": "bytes", "O": "Python objects", "M": "dates", "m": "time spans",
                "V": "raw records", "c": "complex numbers"}.get(X.dtype.kind, "non-numbers")
        raise ValueError(f"{what} holds {kind} (dtype {X.dtype}); kubik predict takes numbers")
    if X.ndim == 0:
        raise ValueError(f"{what} holds a single value (a 0-d array), not samples; give a batch (N, ...)")
    if name is None and X.ndim == 1 and np.prod(model.input_shape) != 1:
        X = X.reshape(1, -1)
    return X


def read_batches(path, model, batch_size=1000):
    """Raw input batches (np.ndarray, at most ``batch_size`` samples) from ``path``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"--batch-size must be a positive integer, got {batch_size}")
    path = str(path)
    inputs = getattr(model, "inputs", None)
    try:
        magic = _magic(path)
        if inputs and magic[:2] != b"PK":
            raise ValueError(f"the model takes {len(inputs)} inputs ({', '.join(inputs)}); give an .npz with an "
                             f"array of each name")
        if magic[:4] == b"PK\x03\x04" or (magic[:2] == b"PK" and path.endswith(".npz")):
            X = _npz(path, model)
        elif magic[:6] == NPY_MAGIC:
            X = _npy(path)
        elif magic[:2] == b"\0\0" and len(magic) >= 4:
            X = _idx(path)
        else:
            yield from _csv_batches(path, model, batch_size)
            return
    except UnicodeDecodeError as e:
        raise ValueError(f"'{path}' is not UTF-8 text (byte {e.object[e.start:e.start + 1].hex()} at offset "
                         f"{e.start}); save it as UTF-8") from None
    except IsADirectoryError:
        raise ValueError(f"'{path}' is a folder, not a file") from None
    except PermissionError:
        raise ValueError(f"cannot read '{path}': permission denied") from None
    X = X if isinstance(X, Inputs) else _checked(path, X, model)
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size]
