"""Reading a checkpoint: loaded with ``allow_pickle=False`` and checked, so
that a truncated or damaged archive, something that is not an .npz, or a file
without kubik metadata is refused with a CheckpointError naming the file."""
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .format import FORMAT, META, MODEL, VERSION, CheckpointError, label, why
from .tree import unflatten
from .validate import check_meta


@dataclass
class Checkpoint:
    """A checkpoint as read: its metadata and its arrays."""
    path: Path
    meta: dict
    arrays: dict

    @property
    def config(self):
        return self.meta.get("config")

    @property
    def config_hash(self):
        return self.meta.get("config_hash")

    @property
    def trainer(self):
        return unflatten(self.meta.get("trainer") or {}, self.arrays)

    def model_state(self):
        return {k[len(MODEL):]: v for k, v in self.arrays.items() if k.startswith(MODEL)}


def _arrays(path, name):
    """Every array of the .npz file at ``path``."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise CheckpointError(f"{name} cannot be read ({why(e)})") from None
    if magic != b"PK\x03\x04":  # every .npz is a zip archive; anything else is refused before numpy sees it
        raise CheckpointError(f"{name} is not an .npz checkpoint (not a zip archive)")
    try:
        z = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"{name} is not an .npz checkpoint ({why(e)})") from None
    try:
        with z:
            return {k: z[k] for k in z.files}
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise CheckpointError(f"{name} holds pickled Python objects, which kubik never loads") from None
        raise CheckpointError(f"{name} is damaged or truncated ({why(e)})") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise CheckpointError(f"{name} is damaged or truncated ({why(e)})") from None


def _meta(arrays, name):
    """The kubik metadata (removed from ``arrays``), its format and version checked."""
    if META not in arrays:
        raise CheckpointError(f"{name} is an .npz file but not a kubik checkpoint (no {META} entry)")
    try:
        meta = json.loads(str(arrays.pop(META)))
    except ValueError:
        raise CheckpointError(f"{name} has unreadable metadata") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{name} is not a kubik checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{name} has format version {meta.get('version')!r}; this kubik reads version {VERSION}")
    return meta


def read(path):
    """Load and check a checkpoint file; raises CheckpointError if it is not a
    complete kubik checkpoint. Nothing is written."""
    path = Path(path)
    name = label(path)
    if not path.exists():
        raise CheckpointError(f"{name} does not exist")
    if path.is_dir():
        raise CheckpointError(f"{name} is a folder, not a checkpoint file")
    arrays = _arrays(path, name)
    meta = _meta(arrays, name)
    check_meta(meta, name)
    ckpt = Checkpoint(path, meta, arrays)
    for key, (shape, dtype) in meta.get("model", {}).items():
        a = arrays.get(f"{MODEL}{key}")
        if a is None or list(a.shape) != shape or str(a.dtype) != dtype:
            raise CheckpointError(f"{name} is inconsistent: entry model/{key} is "
                                  f"{'missing' if a is None else f'{a.shape} {a.dtype}'}, its metadata says "
                                  f"{tuple(shape)} {dtype}")
    try:
        ckpt.trainer
        unflatten(meta.get("optimizer"), arrays), unflatten(meta.get("schedule"), arrays)
    except (KeyError, TypeError) as e:
        raise CheckpointError(f"{name} is inconsistent: missing array entry {e}") from None
    return ckpt
