"""Checkpoints: one .npz file holding everything needed to resume a run bit
for bit, written atomically and read without pickle.

Entries of the archive:

    model/<name>        parameters and buffers (``net.state_dict()``)
    <section>/<path>    every array of the optimizer, schedule and trainer
                        state (e.g. ``optimizer/state/0/momentum_buffer``,
                        ``trainer/order``: the data order of the epoch)
    __kubik__           a JSON string: format and version, the resolved
                        config and its hash, the model's names/shapes/dtypes,
                        the non-array parts of those states (arrays replaced
                        by {"__array__": entry}) and the state of every random
                        generator (package, data order, each layer's own)

``save`` writes to a temporary file in the same folder, fsyncs it and
``os.replace``s it over the target, so a crash (even SIGKILL) leaves either
the old or the new checkpoint, never a half-written one. ``read`` loads with
``allow_pickle=False`` and refuses, with a CheckpointError naming the file, a
truncated or damaged archive, something that is not an .npz, a file without
kubik metadata, and (in ``restore``) a model whose names or shapes differ.
"""
import json
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = "kubik-checkpoint"
VERSION = 1
META = "__kubik__"


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message names the file and why."""


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def flatten(tree, prefix, arrays):
    """A JSON-able copy of ``tree`` whose numpy arrays are moved into
    ``arrays`` under '<prefix>/<path>' and replaced by {"__array__": key}."""
    if isinstance(tree, np.ndarray):
        arrays[prefix] = tree
        return {"__array__": prefix}
    if isinstance(tree, dict):
        return {str(k): flatten(v, f"{prefix}/{k}", arrays) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [flatten(v, f"{prefix}/{i}", arrays) for i, v in enumerate(tree)]
    return _plain(tree)


def unflatten(tree, arrays):
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return arrays[tree["__array__"]]
        return {k: unflatten(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [unflatten(v, arrays) for v in tree]
    return tree


def layer_generators(net, prefix=""):
    """{name: np.random.Generator} for every generator a layer holds as an
    attribute (e.g. Dropout(rng=...)), named '<layer path>.<attribute>'."""
    out = {}
    for attr, value in vars(net).items():
        if isinstance(value, np.random.Generator):
            out[f"{prefix}{attr}"] = value
    for name, child in net._children:
        out.update(layer_generators(child, f"{prefix}{name}."))
    return out


def save(path, net, optimizer=None, schedule=None, trainer=None, config=None, config_hash=None, generators=None):
    """Write a checkpoint atomically. ``trainer`` is a dict (arrays allowed);
    ``generators`` maps names to np.random.Generator (the layers' own are added)."""
    path = Path(path)
    arrays = {f"model/{k}": v for k, v in net.state_dict().items()}
    gens = dict(generators or {})
    gens.update({f"layer/{k}": g for k, g in layer_generators(net).items()})
    meta = {
        "format": FORMAT, "version": VERSION, "config": config, "config_hash": config_hash,
        "model": {k: [list(v.shape), str(v.dtype)] for k, v in net.state_dict().items()},
        "optimizer": None if optimizer is None else flatten(optimizer.state_dict(), "optimizer", arrays),
        "schedule": None if schedule is None else flatten(schedule.state_dict(), "schedule", arrays),
        "trainer": flatten(trainer or {}, "trainer", arrays),
        "rng": {k: g.bit_generator.state for k, g in gens.items()},
    }
    arrays[META] = np.array(json.dumps(meta, default=str))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


@dataclass
class Checkpoint:
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
        return {k[len("model/"):]: v for k, v in self.arrays.items() if k.startswith("model/")}


def read(path):
    """Load and check a checkpoint file; raises CheckpointError if it is not a
    complete kubik checkpoint. Nothing is written."""
    path = Path(path)
    name = f"checkpoint '{path}'"
    if not path.exists():
        raise CheckpointError(f"{name} does not exist")
    if path.is_dir():
        raise CheckpointError(f"{name} is a folder, not a checkpoint file")
    try:
        z = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"{name} is not an .npz checkpoint ({_why(e)})") from None
    if not hasattr(z, "files"):
        raise CheckpointError(f"{name} is a single .npy array, not an .npz checkpoint")
    try:
        with z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise CheckpointError(f"{name} is damaged or truncated ({_why(e)})") from None
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
    ckpt = Checkpoint(path, meta, arrays)
    for key, (shape, dtype) in meta.get("model", {}).items():
        a = arrays.get(f"model/{key}")
        if a is None or list(a.shape) != shape or str(a.dtype) != dtype:
            raise CheckpointError(f"{name} is inconsistent: entry model/{key} is "
                                  f"{'missing' if a is None else f'{a.shape} {a.dtype}'}, its metadata says "
                                  f"{tuple(shape)} {dtype}")
    try:
        ckpt.trainer
        unflatten(meta.get("optimizer"), arrays), unflatten(meta.get("schedule"), arrays)
    except KeyError as e:
        raise CheckpointError(f"{name} is inconsistent: missing array entry {e}") from None
    return ckpt


def _why(e):
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:160]


def check_model(ckpt, net):
    """CheckpointError unless the checkpoint holds exactly ``net``'s names,
    shapes and dtypes."""
    name = f"checkpoint '{ckpt.path}'"
    mine = net.state_dict()
    theirs = ckpt.model_state()
    missing, extra = sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}")
        if extra:
            parts.append(f"has {', '.join(extra[:4])}{' ...' if len(extra) > 4 else ''} that the model lacks")
        raise CheckpointError(f"{name} comes from a different model: it {' and '.join(parts)}")
    for key, value in mine.items():
        other = theirs[key]
        if other.shape != value.shape:
            raise CheckpointError(f"{name} does not fit the model: '{key}' is {other.shape} in the checkpoint, "
                                  f"{value.shape} in the model")
        if other.dtype != value.dtype:
            raise CheckpointError(f"{name} does not fit the model: '{key}' is {other.dtype} in the checkpoint, "
                                  f"{value.dtype} in the model")


def restore(ckpt, net, optimizer=None, schedule=None, generators=None, weights_only=False):
    """Load the model (after ``check_model``), the optimizer, schedule and
    generator states from ``ckpt`` (only the model with ``weights_only``)."""
    check_model(ckpt, net)
    if weights_only:
        net.load_state_dict(ckpt.model_state())
        return
    name = f"checkpoint '{ckpt.path}'"
    gens = dict(generators or {})
    gens.update({f"layer/{k}": g for k, g in layer_generators(net).items()})
    saved = ckpt.meta.get("rng", {})
    if optimizer is not None and ckpt.meta.get("optimizer") is None:
        raise CheckpointError(f"{name} holds no optimizer state")
    if (schedule is None) != (ckpt.meta.get("schedule") is None):
        raise CheckpointError(f"{name} {'has no' if schedule is not None else 'has a'} schedule state, "
                              f"but the config {'has' if schedule is not None else 'has no'} schedule")
    missing = sorted(set(gens) - set(saved))
    if missing:
        raise CheckpointError(f"{name} lacks the random generator state of {', '.join(missing)}")
    try:
        net.load_state_dict(ckpt.model_state())
        if optimizer is not None:
            optimizer.load_state_dict(unflatten(ckpt.meta["optimizer"], ckpt.arrays))
        if schedule is not None:
            schedule.load_state_dict(unflatten(ckpt.meta["schedule"], ckpt.arrays))
        for key, g in gens.items():
            g.bit_generator.state = saved[key]
    except (ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"{name} does not fit: {_why(e)}") from None
