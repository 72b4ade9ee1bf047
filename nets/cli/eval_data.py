"""``kubik eval RUN_OR_CHECKPOINT --data SOURCE [--report]``: loss and
accuracy of a trained model on data named on the command line, read by the
loaders a config's ``data`` section uses (nets.datasets):

    SOURCE = a data set name (digits, breast_cancer, ...)   its own test split if it has one
             | FILE.npz (arrays X, y) | FILE.csv (target: the last column)   every sample
             | FOLDER of MNIST-style IDX files               its test (t10k) files
             | FOLDER of CIFAR-10's binary batches           its test_batch.bin

Inputs go through the checkpoint's stored preprocessing (kubik.load's
Model.transform: a YAML run's training scaling, none for a run trained from
Python); samples whose size matches the model's input shape are reshaped to
it (64 features for a (1, 8, 8) model). Text class names of a csv are matched
to the model's by name. Required for a run trained from Python (its data is
not recorded); for a YAML run it replaces the config's split.
"""
import inspect
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .. import checkpoint
from ..build import loss_and_task
from ..config import ConfigError
from ..datasets import DATASETS, load as load_samples
from ..inference.model import checkpoint_path, load
from ..inference.sequences import sequence_text
from ..trainer.python_run import is_python_run, rebuild_loss
from ..trainer.monitoring import which_weights
from ..datasets.inputs import Inputs
from ..trainer.evaluation import LabelTask, _evaluate, is_pair_loss, pair_accuracy
from ..trainer.output_losses import for_net
from .common import out
from .parser import UsageError
from .report import report

_LOADERS = {".npz": "npz", ".csv": "csv"}


def read_source(source, flag="kubik eval --data", train=False, inputs=None):
    """(X, y, class names or None, what was taken) of SOURCE; UsageError (starting with ``flag``)
    when it cannot be read. ``train``: every training sample (not a set's own test split).
    ``inputs``: the input names of a model with several; an .npz then holds an array of
    each name and the target ``y``."""
    p = Path(os.path.expanduser(source))
    if p.is_dir():
        name = "cifar10" if (p / "test_batch.bin").is_file() or (p / "test_batch").is_file() else "idx"
        args = {"path": str(p)}
    elif p.is_file():
        if p.suffix.lower() not in _LOADERS:
            raise UsageError(f"{flag}: '{source}' is not an .npz or .csv file (IDX data: give the folder "
                             f"that holds the MNIST-style files)")
        name, args = _LOADERS[p.suffix.lower()], {"path": str(p)}
        if inputs:
            if name != "npz":
                raise UsageError(f"{flag}: the model takes {len(inputs)} inputs ({', '.join(inputs)}); give an "
                                 f".npz with an array of each name and the target y")
            args["inputs"] = list(inputs)
    elif source in DATASETS:
        name, args = source, {}
        needs = [n for n, p in inspect.signature(DATASETS.get(name)).parameters.items()
                 if p.default is p.empty and n != "rng"]
        if needs:
            raise UsageError(f"{flag}: the '{name}' data set needs {', '.join(needs)}; give the file "
                             f"itself (--data FILE.npz, FILE.csv or an IDX folder)")
    else:
        raise UsageError(f"{flag}: '{source}' is neither a file nor a data set name "
                         f"(known: {', '.join(DATASETS.names())})")
    try:
        s = load_samples(name, **args)
    except ConfigError as e:
        raise UsageError(f"{flag} {source}: {e.message}") from None
    except (ValueError, TypeError) as e:
        raise UsageError(f"{flag} {source}: {e}") from None
    if s.X_test is not None and not train:
        return s.X_test, s.y_test, s.classes, "its test split"
    return s.X, s.y, s.classes, "all samples"


def _labels(y, data_classes, model, source):
    """The data's labels as the model's class indices (matched by name where both have names)."""
    if data_classes is None or model.record.get("classes") is None or model.task == "regression":
        return y
    index = {str(c): i for i, c in enumerate(model.record["classes"])}
    names = [str(c) for c in data_classes]
    unknown = sorted(set(names[i] for i in np.unique(y)) - set(index))
    if unknown:
        raise UsageError(f"kubik eval --data {source}: class {unknown[0]!r} is not one of the model's "
                         f"({', '.join(index)})")
    return np.array([index[n] for n in names], np.int64)[y]


def _inputs(model, X, source):
    """X shaped as the model's input; UsageError naming both shapes when it does not fit."""
    if model.inputs or isinstance(X, Inputs):
        try:
            return model.transform(X.select(model.inputs) if isinstance(X, Inputs) else X)
        except ValueError as e:
            raise UsageError(f"kubik eval --data {source}: {e}") from None
    X = np.asarray(X)
    if X.ndim < 1 or int(np.prod(X.shape[1:])) != int(np.prod(model.input_shape)):
        raise UsageError(f"kubik eval --data {source}: its samples have shape {tuple(X.shape[1:])}, but the "
                         f"checkpoint's model takes input of shape {model.input_shape}")
    try:
        return model.transform(X)
    except ValueError as e:
        raise UsageError(f"kubik eval --data {source}: {e}") from None


def pair_text(net, loss, X, y, batch_size):
    """The line of a Siamese net's pair accuracy at its best distance threshold."""
    threshold, acc = pair_accuracy(net, loss, X, y, batch_size)
    return (f"pair accuracy {100 * acc:.2f}% at the best distance threshold {threshold:.4g} "
            f"(pairs nearer than it called similar)")


def eval_on_data(args):
    """``kubik eval CHECKPOINT --data SOURCE``: print loss and accuracy (and --report)."""
    path = checkpoint_path(args.checkpoint)
    ckpt = checkpoint.read(path)
    model = load(path, imports=args.imports)
    X, y, data_classes, what = read_source(args.data, inputs=model.inputs)
    if not len(X):
        raise UsageError(f"kubik eval --data {args.data}: no samples")
    Xs, y = _inputs(model, X, args.data), _labels(np.asarray(y), data_classes, model, args.data)
    out_shape = tuple(model.net_output_shape())
    if is_python_run(ckpt):
        loss, batch_size = for_net(model.net, rebuild_loss(ckpt)), 1000
        task = LabelTask(loss)
    else:
        shapes = [tuple(s) for s in model.net.output_shapes(*(model.input_shape if model.inputs
                                                               else [model.input_shape]))]
        loss, task = loss_and_task(model.config, model.net, shapes[0] if len(shapes) == 1 else shapes,
                                   model.record["num_classes"], y.shape[1:])
        batch_size = model.config["train"]["eval_batch_size"]
    try:
        value, acc = _evaluate(model.net, loss, Xs, y, batch_size, task)
    except (ValueError, TypeError) as e:
        raise UsageError(f"kubik eval --data {args.data}: its targets do not fit the model: {e}") from None
    acc_text = "" if acc is None else f"  accuracy {100 * acc:.2f}%"
    out(f"{ckpt.path} ({which_weights(ckpt)}): {args.data} ({what}), {len(Xs)} samples: "
        f"loss {value:.4f}{acc_text}{sequence_text(model.net, task, Xs, y, batch_size)}")
    if is_pair_loss(loss):
        out(pair_text(model.net, loss, Xs, y, batch_size))
    if args.report:
        kind = SimpleNamespace(num_classes=model.record["num_classes"] if model.task != "regression" else None,
                               out_shape=out_shape, threshold=0.5 if model.record.get("threshold") is None
                               else model.record["threshold"])
        report(SimpleNamespace(net=model.net, task=kind), Xs, y, batch_size, args.o,
               f"{ckpt.path.name}: confusion matrix, {args.data} ({len(Xs)} samples)")
    return 0
