"""What the checkpoints of a run trained from Python (``nets.fit(..., out=)``)
record so that ``kubik eval``, ``kubik.load``, ``kubik predict`` and
``kubik export`` can rebuild the net without the user's script:

    __kubik__["python_run"] = {
        "model":  the net's entry (``net.spec()``: a config's model list), or null
        "why":    null, or why the net cannot be written (the layer and argument)
        "loss":   the loss's entry (``loss.spec()``), or null ("loss_why" says why)
        "imports": modules outside kubik that define the layers (imported on rebuild)
        "dtype":  the dtype of the net's parameters
        "resume": the optimizer, schedule, settings, loader and data fingerprints
                  that kubik train --resume needs (nets.trainer.python_resume)
    }
    __kubik__["preprocessing"] = the record nets.inference.preprocessing describes: the
        input shape and dtype of the training data, the task (classification,
        binary, regression) from the loss and output shape; no scaling.

The config stays null (the resume check of such a run uses its settings'
hash, unchanged); the training data is not recorded, so ``kubik eval`` needs
``--data``.
"""
import numpy as np

from ... import layers, losses

from .. import checkpoint
from ..inference.preprocessing import _output_kind
from ..inference.preprocessing import load as load_preprocessing, recorded_shape
from ..checkpoint.format import label
from ..config import ConfigError
from ..datasets.inputs import Inputs
from ..imports import import_modules
from .output_losses import OutputLosses

KEY = "python_run"


def _modules(net):
    """The modules outside kubik (and not a script's __main__) whose layers ``net`` holds."""
    found = {type(net).__module__} | {m for _, c in net._children for m in _modules(c)}
    return {m for m in found if not m.startswith("kubik") and m != "__main__"}


def _task_record(loss, task, out_shape):
    """(task kind, number of classes, decision threshold) as nets.inference.preprocessing records them."""
    if getattr(task, "argmax", False) and out_shape and len(out_shape) == 1:
        return "classification", int(out_shape[0]), None
    threshold = getattr(task, "threshold", None)
    if threshold is not None and tuple(out_shape or ()) == (1,):
        return "binary", 2, threshold
    return "regression", None, None


def describe_run(net, loss, task, X):
    """(the ``python_run`` entry, the preprocessing record) of a run of ``net`` on inputs like ``X``."""
    model, why = None, None
    try:
        model = net.spec()
    except layers.SpecError as e:
        why = str(e)
    try:
        loss_entry, loss_why = loss.spec(), None
    except (layers.SpecError, AttributeError) as e:
        loss_entry, loss_why = None, f"the loss {type(loss).__name__} cannot be written: {e}"
    several = isinstance(X, Inputs)
    shapes = [tuple(int(d) for d in s) for s in X.shapes] if several else [tuple(int(d) for d in np.shape(X)[1:])]
    try:
        out_shape = tuple(net.output_shapes(*shapes)[0])
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, NotImplementedError):
        out_shape = None        # a user's layer that cannot tell: the task is then a regression's
    main = getattr(loss, "main", loss)          # several outputs: the first term's loss
    if isinstance(main, losses.Contrastive):
        kind, num_classes, threshold = "pairs", 2, main.margin / 2
    else:
        kind, num_classes, threshold = _task_record(main, task, out_shape)
    params = net.parameters()
    entry = {"model": model, "why": why, "loss": loss_entry, "loss_why": loss_why,
             "outputs": list(getattr(loss, "outputs", None) or []) or None,
             "imports": sorted(_modules(net)), "dtype": str(params[0].data.dtype) if params else "float32"}
    record = {"scale": "none", "shift": np.asarray(0.0), "scale_values": np.asarray(1.0),
              "input_shape": [list(s) for s in shapes] if several else list(shapes[0]),
              "inputs": list(getattr(net, "inputs", X.names)) if several else None,
              "dtype": str(X.dtype if several else np.asarray(X[:1]).dtype), "features": None,
              "target": None, "layout": None, "classes": None, "num_classes": num_classes, "task": kind,
              "output": _output_kind(main), "threshold": threshold, "data": None}
    return entry, record


def is_python_run(ckpt):
    """Whether ``ckpt`` (read) comes from a run trained from Python."""
    return isinstance(ckpt.meta.get(KEY), dict)


def rebuild(ckpt, imports=()):
    """(net in eval mode with the checkpoint's weights, preprocessing record) of a Python run's
    checkpoint; CheckpointError naming why when its net cannot be rebuilt."""
    run, name = ckpt.meta[KEY], label(ckpt.path)
    if run.get("model") is None:
        raise checkpoint.CheckpointError(f"{name} comes from a net trained in Python that cannot be rebuilt: "
                                         f"{run.get('why') or 'no description recorded'}")
    record = load_preprocessing(ckpt.meta, ckpt.arrays)
    state = layers.get_rng().bit_generator.state        # building draws weights: leave the package rng alone
    try:
        import_modules(list(imports) + list(run.get("imports") or []), label="import")
        from ..builders.model import from_spec
        net = from_spec(run["model"], recorded_shape(record))
    except ConfigError as e:
        raise checkpoint.CheckpointError(f"{name}: the net it records does not build: {e}") from None
    finally:
        layers.get_rng().bit_generator.state = state
    if run.get("dtype") and net.parameters() and net.parameters()[0].data.dtype != np.dtype(run["dtype"]):
        net.astype(run["dtype"])
    checkpoint.restore(ckpt, net, weights_only=True)
    return net.eval(), record


def rebuild_loss(ckpt):
    """The loss a Python run trained with; CheckpointError when it was not recorded."""
    run = ckpt.meta[KEY]
    spec = run.get("loss")
    if spec is None:
        raise checkpoint.CheckpointError(f"{label(ckpt.path)}: {run.get('loss_why') or 'no loss recorded'}")
    try:
        if isinstance(spec, list):          # OutputLosses: [{Name: {args}, output: ..., weight: ...}, ...]
            terms = [(_loss(next((k, v) for k, v in e.items() if k not in ("output", "weight"))), e["output"],
                      e.get("weight", 1.0)) for e in spec]
            return OutputLosses(terms, run.get("outputs") or [])
        return _loss((spec, {}) if isinstance(spec, str) else next(iter(spec.items())))
    except (ValueError, TypeError, KeyError, StopIteration) as e:
        raise checkpoint.CheckpointError(f"{label(ckpt.path)}: its loss {spec!r} does not build: {e}") from None


def _loss(name_args):
    name, args = name_args
    return losses.LOSSES.get(name)(**(args or {}))
