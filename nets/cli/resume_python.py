"""``kubik train --resume RUN --data TRAIN [--val VAL] [--epochs N]``: continue
a run trained from Python (``nets.fit(..., out=RUN)``) without its script.

The net and loss come from the checkpoint's description (nets.trainer.python_run),
the optimizer, schedule, settings and DataLoader from its ``resume`` record
(nets.trainer.python_resume); TRAIN and VAL are read as ``kubik eval --data`` reads
a source (TRAIN: every training sample of it, VAL: its test split if it has
one). They must be the arrays the script gave ``fit`` (same samples, order,
shape; a dtype only where the values convert exactly): their fingerprint is
compared with the recorded one. Then the very ``nets.fit(..., resume=True)``
of a Python resume runs, so the run continues bit for bit; ``--epochs`` may
raise the number of epochs, as ``fit(epochs=...)`` may.
"""
import numpy as np

from .. import checkpoint
from ..checkpoint.format import label
from ..augment import build_augment
from ..config import ConfigError
from ..trainer.dataloader import DataLoader
from ..trainer.fit import fit
from ..imports import import_modules
from ..datasets.inputs import Inputs
from ..trainer.python_resume import fingerprint
from ..trainer.python_run import rebuild, rebuild_loss
from ...optim.spec import build_optimizer, build_schedule
from .common import EXIT_INTERRUPTED
from .eval_data import read_source
from .parser import UsageError

_FROM_PYTHON = "resume it from Python: nets.fit(..., out='{}', resume=True)"


def _cast(a, dtype, what):
    if a.dtype == np.dtype(dtype):
        return a
    b = a.astype(dtype)
    if not np.array_equal(b, a, equal_nan=a.dtype.kind in "fc"):
        raise UsageError(f"{what}: its {'targets' if what.endswith('y') else 'samples'} are {a.dtype}, the run "
                         f"trained on {dtype} (and the values do not convert exactly)")
    return b


def matched(X, y, rec, what):
    """(X, y) as the run's arrays (reshaped, or cast exactly, where needed); UsageError naming the difference.
    A run with several inputs takes Inputs (an .npz with an array per input name)."""
    if rec.get("inputs"):
        return _matched_inputs(X, y, rec, what)
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != rec["samples"]:
        raise UsageError(f"{what}: {len(X)} samples, but the run trained on {rec['samples']}; give the very "
                         f"arrays the script passed to fit (np.savez(FILE, X=X, y=y))")
    for arr, key, name in ((X, "shape", "samples"), (y, "y_shape", "targets")):
        shape = tuple(rec[key])
        if arr.shape[1:] != shape and int(np.prod(arr.shape[1:])) != int(np.prod(shape)):
            raise UsageError(f"{what}: its {name} have shape {arr.shape[1:]}, the run's {shape}")
    X, y = X.reshape((len(X), *rec["shape"])), y.reshape((len(y), *rec["y_shape"]))
    X, y = _cast(X, rec["dtype"], what), _cast(y, rec["y_dtype"], f"{what} y")
    if fingerprint(X, y)["sha256"] != rec["sha256"]:
        raise UsageError(f"{what}: its samples are not the ones the run trained on (same number, shape and "
                         f"dtype, other values or order); give the arrays the script passed to fit")
    return X, y


def _matched_inputs(X, y, rec, what):
    names = rec["inputs"]
    if not isinstance(X, Inputs) or list(X.names) != list(names):
        raise UsageError(f"{what}: the run trained on inputs {', '.join(names)}; give an .npz with an array of each "
                         f"name and y")
    y = np.asarray(y)
    if len(X) != rec["samples"]:
        raise UsageError(f"{what}: {len(X)} samples, but the run trained on {rec['samples']}")
    arrays = []
    for name, a, shape in zip(names, X.arrays, rec["shape"]):
        if int(np.prod(a.shape[1:])) != int(np.prod(shape)):
            raise UsageError(f"{what}: input {name!r} has samples of shape {a.shape[1:]}, the run's {tuple(shape)}")
        arrays.append(_cast(a.reshape((len(a), *shape)), rec["dtype"], what))
    X, y = Inputs(arrays, names), _cast(y.reshape((len(y), *rec["y_shape"])), rec["y_dtype"], f"{what} y")
    if fingerprint(X, y)["sha256"] != rec["sha256"]:
        raise UsageError(f"{what}: its samples are not the ones the run trained on (same number, shape and "
                         f"dtype, other values or order); give the arrays the script passed to fit")
    return X, y


def _give_generators(net, ckpt):
    """Layers that drew from a Generator of their own get one back (its state: the checkpoint's)."""
    for key in ckpt.meta.get("rng", {}):
        if not key.startswith("layer/"):
            continue
        path, attr = key[len("layer/"):].rsplit(".", 1)
        layer = net
        for part in path.split(".") if path else ():
            layer = dict(layer._children).get(part)
            if layer is None:
                raise checkpoint.CheckpointError(f"{label(ckpt.path)} holds a generator of layer '{path}', "
                                                 f"which the net it describes lacks")
        if not isinstance(getattr(layer, attr, None), np.random.Generator):
            setattr(layer, attr, np.random.default_rng(0))


def _pieces(args, run_dir, ckpt):
    """(net, loss, optimizer, schedule, settings, loader, val) of the Python run in ``run_dir``."""
    rec = ckpt.meta["python_run"].get("resume")
    where = f"kubik train --resume: '{run_dir}' holds a run made from Python"
    if rec is None:
        raise UsageError(f"{where} before runs recorded their optimizer and settings; "
                         + _FROM_PYTHON.format(run_dir))
    if rec["why"]:
        raise UsageError(f"{where} that cannot be rebuilt from the command line: {'; '.join(rec['why'])}; "
                         + _FROM_PYTHON.format(run_dir))
    val_hint = f" and its validation data with --val VAL ({rec['val']['samples']} samples)" if rec["val"] else ""
    if not args.data:
        raise UsageError(f"{where}, whose data lives in the script: give its training data with --data TRAIN "
                         f"({rec['data']['samples']} samples){val_hint}: an .npz with X and y, a .csv, a data "
                         f"set name or an IDX folder")
    if (rec["val"] is None) != (args.val is None):
        raise UsageError(f"{where}: " + (f"it validated on {rec['val']['samples']} samples; give them with --val VAL"
                                         if args.val is None else "it had no validation data; leave out --val"))
    inputs = rec["data"].get("inputs")
    X, y, _, _ = read_source(args.data, "kubik train --data", train=True, inputs=inputs)
    X, y = matched(X, y, rec["data"], f"kubik train --data {args.data}")
    val = None
    if args.val is not None:
        Xv, yv, _, _ = read_source(args.val, "kubik train --val", inputs=inputs)
        val = matched(Xv, yv, rec["val"], f"kubik train --val {args.val}")
    net, _ = rebuild(ckpt, args.imports)
    _give_generators(net, ckpt)
    loss = rebuild_loss(ckpt)
    import_modules(list(rec.get("imports") or []), label="import")     # a user's optimizer or schedule class
    try:
        opt = build_optimizer(rec["optimizer"], net)
        sched = None if rec["schedule"] is None else build_schedule(opt, rec["schedule"])
    except (KeyError, ValueError, TypeError) as e:
        raise checkpoint.CheckpointError(f"{label(ckpt.path)}: its optimizer or schedule does not build: {e}") \
            from None
    loader_args = dict(rec["loader"])
    if loader_args.pop("target_is_input", False):
        y = X                                          # the input was its own target (an autoencoder)
    try:
        augment = build_augment(loader_args.pop("augment", None) or [], X.shape[1:])
    except ConfigError as e:
        raise checkpoint.CheckpointError(f"{label(ckpt.path)}: its training transforms do not build: "
                                         f"{e.message}") from None
    loader = DataLoader(X, y, augment=augment, **loader_args)
    return net.train(), loss, opt, sched, dict(rec["settings"]), loader, val


def resume_python(args, run_dir, ckpt, out):
    """Continue the Python run in ``run_dir`` (its last.npz read: ``ckpt``); returns the exit code."""
    net, loss, opt, sched, settings, loader, val = _pieces(args, run_dir, ckpt)
    epochs = settings.pop("epochs")
    epochs = epochs if args.epochs is None else args.epochs
    out(f"{run_dir}: a run made from Python; {loader.num_samples} training"
        f"{'' if val is None else f', {len(val[0])} validation'} samples; {net.num_parameters():,} parameters")
    history = fit(net, loss, opt, loader, val, epochs=epochs, schedule=sched, out=run_dir, resume=True,
                  progress=not args.quiet, log=out, **settings)
    result = history.result
    if result.status == "interrupted":
        again = f" --val {args.val}" if args.val else ""
        out(f"resume with: kubik train --resume {run_dir} --data {args.data}{again} --epochs {epochs}")
        return EXIT_INTERRUPTED
    if result.status != "already_done":
        out(f"saved {run_dir / 'last.npz'} and {run_dir / 'best.npz'} (epoch {result.epoch}, step {result.step})")
    return 0
