"""What a run trained from Python records, next to its net and loss
(nets.trainer.python_run), so that ``kubik train --resume RUN --data TRAIN`` can
rebuild the rest of it without the script and continue it bit for bit:

    __kubik__["python_run"]["resume"] = {
        "optimizer": optim.spec.optimizer_entry (class, arguments, parameter groups by name)
        "schedule":  a config's schedule entry, or null
        "settings":  the Trainer's settings (nets.trainer.settings), without progress
        "loader":    the training DataLoader's batch_size, shuffle, drop_last; its augment (the transforms'
                     config entries) and target_is_input (y was X itself), where it has them
        "data", "val": fingerprints of the training / validation arrays (or null):
                     samples, sample shape and dtype of X and y, and a SHA-256 of their bytes
                     (several inputs: their names and a shape per input)
        "imports":   modules outside kubik that define the optimizer's, schedule's or a transform's class
        "why":       what cannot be rebuilt from the command line (empty: it can), e.g.
                     a user's callbacks (they live in the script) or an unregistered optimizer
    }

Nothing here changes training: a run that cannot be described is trained
all the same, and only ``kubik train --resume`` refuses it, naming "why".
"""
import hashlib

import numpy as np

from ...layers import SpecError
from ...optim.spec import optimizer_entry, schedule_entry
from ..datasets.inputs import Inputs, as_inputs
from .dataloader import DataLoader
from .evaluation import LabelTask


def fingerprint(X, y):
    """{samples, shape, dtype, y_shape, y_dtype, sha256} of arrays ``X``, ``y``; for Inputs
    (several inputs) also ``inputs`` (their names), a shape per input, every array hashed."""
    several = isinstance(X, Inputs)
    arrays = [np.ascontiguousarray(a) for a in (X.arrays if several else (X,))]
    y = np.ascontiguousarray(y)
    h = hashlib.sha256()
    for a in arrays + [y]:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(memoryview(a.reshape(-1)).cast("B") if a.size else b"")
    record = {"samples": int(len(arrays[0])), "shape": list(arrays[0].shape[1:]), "dtype": arrays[0].dtype.name,
              "y_shape": list(y.shape[1:]), "y_dtype": y.dtype.name, "sha256": h.hexdigest()}
    if several:
        record.update(inputs=list(X.names), shape=[list(a.shape[1:]) for a in arrays])
    return record


def _entry(make, what, why):
    try:
        return make()
    except SpecError as e:
        why.append(f"the {what}: {e.reason}")
        return None


def _user_modules(*objs):
    """The modules outside kubik (and not a script's __main__) that define the classes of ``objs``."""
    found = {type(o).__module__ for o in objs if o is not None}
    return sorted(m for m in found if not m.startswith("kubik") and m != "__main__")


def describe_resume(trainer, loader, val):
    """The ``resume`` record of ``trainer`` training on ``loader`` (validating on ``val``: (X, y) or None)."""
    why = []
    opt, sched, t = trainer.optimizer, trainer.schedule, trainer.t
    transforms = list(getattr(loader, "augment", None) or ())
    record = {
        "optimizer": _entry(lambda: optimizer_entry(opt, trainer.net), "optimizer", why),
        "schedule": None if sched is None else _entry(lambda: schedule_entry(sched), "schedule", why),
        "settings": {k: v for k, v in t.items() if k != "progress"},
        "loader": {"batch_size": loader.batch_size, "shuffle": loader.shuffle, "drop_last": loader.drop_last},
        "data": fingerprint(loader.X, loader.y), "val": None if val is None else fingerprint(as_inputs(val[0]), val[1]),
        "imports": _user_modules(opt, sched, getattr(sched, "after", None), *transforms),
    }
    if transforms:
        record["loader"]["augment"] = _entry(lambda: loader.augment.specs(), "training transforms (augment)", why)
    if getattr(loader, "y", None) is loader.X:
        record["loader"]["target_is_input"] = True
    if type(loader) is not DataLoader:
        why.append(f"the training data comes from a {type(loader).__name__} (a DataLoader subclass of the script)")
    user = trainer.callbacks[1:] if t["checkpoint_every"] else trainer.callbacks   # [0]: PeriodicCheckpoint
    if user:
        why.append(f"it has callbacks of the script ({', '.join(type(cb).__name__ for cb in user)})")
    if type(trainer.task) is not LabelTask:
        why.append(f"it was given a task of its own ({type(trainer.task).__name__})")
    run = trainer.python_run or {}
    if run.get("why"):
        why.append(f"the net: {run['why']}")
    if run.get("loss_why"):
        why.append(run["loss_why"])
    record["why"] = why
    return record
