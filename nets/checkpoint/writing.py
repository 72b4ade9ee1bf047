"""Writing a checkpoint atomically: to a temporary file in the same folder,
fsynced, then ``os.replace``d over the target, so a crash (even SIGKILL)
leaves either the old or the new checkpoint, never a half-written one. A
failed write (full disk, read-only folder) is a CheckpointError naming the
file (CheckpointWriteError, an OSError too); the temporary file is removed and the old checkpoint kept."""
import json
import os
from pathlib import Path

import numpy as np

from .format import FORMAT, META, MODEL, VERSION, CheckpointWriteError, label
from .tree import flatten


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


def all_generators(net, generators=None):
    """``generators`` plus the layers' own, named 'layer/<layer path>.<attribute>'."""
    gens = dict(generators or {})
    gens.update({f"layer/{k}": g for k, g in layer_generators(net).items()})
    return gens


def save(path, net, optimizer=None, schedule=None, trainer=None, config=None, config_hash=None, generators=None,
         preprocessing=None, python_run=None):
    """Write a checkpoint atomically. ``trainer`` is a dict (arrays allowed);
    ``generators`` maps names to np.random.Generator (the layers' own are added);
    ``preprocessing`` (nets.inference.preprocessing; by default the ``net.preprocessing``
    that nets.build attaches) is stored for kubik.load / predict / export;
    ``python_run`` (nets.trainer.python_run: a run trained from Python) in its place of a config."""
    path = Path(path)
    arrays = {f"{MODEL}{k}": v for k, v in net.state_dict().items()}
    meta = {
        "format": FORMAT, "version": VERSION, "config": config, "config_hash": config_hash,
        "model": {k: [list(v.shape), str(v.dtype)] for k, v in net.state_dict().items()},
        "optimizer": None if optimizer is None else flatten(optimizer.state_dict(), "optimizer", arrays),
        "schedule": None if schedule is None else flatten(schedule.state_dict(), "schedule", arrays),
        "trainer": flatten(trainer or {}, "trainer", arrays),
        "rng": {k: g.bit_generator.state for k, g in all_generators(net, generators).items()},
    }
    pre = preprocessing if preprocessing is not None else getattr(net, "preprocessing", None)
    if pre is not None:
        meta["preprocessing"] = flatten(pre, "preprocessing", arrays)
    if python_run is not None:
        meta["python_run"] = python_run
    arrays[META] = np.array(json.dumps(meta, default=str))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:      # a full disk, a read-only folder: the old checkpoint stays as it was
        kept = f"; the previous {path.name} is unchanged" if path.exists() else ""
        raise CheckpointWriteError(f"cannot write {label(path)}: {e.strerror or e}{kept}") from None
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass
    return path
