"""The fixed config schema: every section's keys with default, allowed kinds
of value and description (documented in docs/guide/config.md, "Config schema"):

    seed       int: initialization, dropout and shuffling
    data       {name: <data set>, test_split, seed, scale, augment, target: input, ...loader arguments}
    model      list of layers: ``{Linear: {out_features: 10}}`` or ``ReLU``; or a graph
               {inputs: [x], nodes: [{name, in, <layer>}, ...], outputs: [...]} (nets.builders.graph)
    loss       {name: CrossEntropy, ...arguments}           (or just a name; a graph: a list of
               them, each with ``output:`` and ``weight:``)
    optimizer  {name: SGD, lr: 0.1, no_decay: false, ...arguments}
    schedule   null or {name: StepLR, interval: epoch | step, ...arguments}
    train      epochs, batch_size, val_split, ... (see TRAIN below)
    imports    list of modules / ./files.py imported before building (nets.imports)
    sweep      kubik sweep's settings: params, trials, metric, ... (see SWEEP; kubik train ignores it)

plus ``expect``, the check that a value is of an allowed kind.
"""
from .errors import ConfigError, short

REQUIRED = object()

# key -> (default, kinds, description). kinds: a tuple of "int", "float", "bool",
# "str", "list", "dict", "null"; float accepts ints.
TOP = {
    "seed": (0, ("int",), "seeds initialization, dropout masks and shuffling"),
    "data": (REQUIRED, ("dict", "str"), "the data set and how to split and scale it"),
    "model": (REQUIRED, ("list", "dict"), "the layers, in order; or a graph {inputs, nodes, outputs}"),
    "loss": ({"name": "CrossEntropy"}, ("dict", "str", "list"), "the loss (a graph: a list, each with output: "
                                                                 "and weight:)"),
    "optimizer": ({"name": "SGD", "lr": 0.01}, ("dict", "str"), "the optimizer"),
    "schedule": (None, ("dict", "str", "null"), "a learning-rate schedule"),
    "train": ({}, ("dict",), "the training loop"),
    "imports": ([], ("list",), "Python modules (or .py files relative to the config) imported before building"),
    "sweep": (None, ("dict", "null"), "kubik sweep's settings (params, trials, metric, ...); kubik train ignores it"),
}
DATA = {
    "name": (REQUIRED, ("str",), "digits, breast_cancer, spirals, xor, circles, adding, parity, text, "
                                  "digit_strips, shakespeare, idx (mnist), cifar10, npz, csv, ..."),
    "test_split": (0.2, ("float",), "held-out test fraction (ignored when the data has its own test set)"),
    "seed": (0, ("int",), "seeds synthetic data and the test/validation splits"),
    "scale": ("standard", ("str",), "none, standard, minmax or max"),
    "augment": ([], ("list",), "transforms of the training batches (nets.augment), e.g. [RandomFlip]"),
}
SCALES = ("none", "standard", "minmax", "max")
TRAIN = {
    "epochs": (10, ("int",), "passes over the training data"),
    "batch_size": (32, ("int", "full"), "samples per micro-batch, or full: the whole training part as one batch "
                                        "(what LBFGS needs)"),
    "accumulate": (1, ("int",), "micro-batches per optimizer step"),
    "shuffle": (True, ("bool",), "reshuffle the training data every epoch"),
    "drop_last": (False, ("bool",), "drop a last incomplete batch"),
    "val_split": (0.1, ("float",), "fraction of the training part held out for validation"),
    "val_interval": (1, ("int",), "validate every this many epochs (and after the last)"),
    "eval_batch_size": (1000, ("int",), "batch size for validation and evaluation"),
    "clip_norm": (None, ("float", "null"), "clip the gradients' global L2 norm to this"),
    "clip_value": (None, ("float", "null"), "clip every gradient element to [-v, v]"),
    "early_stopping": ({}, ("dict",), "stop when the monitored metric stops improving"),
    "checkpoint": ({}, ("dict",), "when to write last.npz and best.npz"),
    "out": ("runs", ("str",), "parent folder of run folders <config-stem>-<timestamp>"),
    "progress": (True, ("bool",), "tqdm progress bars (on a terminal)"),
    "monitor": ({}, ("dict",), "per-layer diagnostics written to diagnostics.csv"),
    "threads": ("auto", ("int", "str"), "BLAS/kernel threads: an integer >= 1, or auto (1 below 100k parameters)"),
    "log": (["csv"], ("list",), "where metrics go: csv (metrics.csv, always written) and tensorboard (event files "
                                "in the run folder; the [tensorboard] extra)"),
}
EARLY = {
    "patience": (0, ("int",), "epochs without improvement before stopping; 0 = off"),
    "monitor": ("val_loss", ("str",), "val_loss or val_accuracy"),
    "min_delta": (0.0, ("float",), "smallest change that counts as an improvement"),
}
CHECKPOINT = {
    "every_steps": (0, ("int",), "also write last.npz every this many optimizer steps; 0 = epoch ends only"),
    "monitor": ("val_loss", ("str",), "best.npz keeps the weights with the best val_loss or val_accuracy"),
}
MONITOR = {
    "every_steps": (0, ("int",), "record diagnostics every this many optimizer steps; 0 = off"),
    "what": (["grad_norm", "update_ratio", "weight_norm", "activations"], ("list",), "which diagnostics"),
}
MONITOR_WHAT = ("grad_norm", "update_ratio", "weight_norm", "activations")
LOGS = ("csv", "tensorboard")
SWEEP = {
    "params": ({}, ("dict",), "KEY: SPACE, the --param of kubik sweep: optimizer.lr: loguniform(1e-4, 1e-1)"),
    "trials": (20, ("int",), "finished (complete or pruned) trials the study should hold"),
    "jobs": (1, ("int",), "worker processes on this machine"),
    "metric": ("val_loss", ("str",), "what a trial is judged by: val_loss, val_accuracy or train_loss"),
    "direction": (None, ("str", "null"), "min or max (default: max for an accuracy, else min)"),
    "study": (None, ("str", "null"), "the study's name (default: the config file's name)"),
    "storage": (None, ("str", "null"), "an Optuna storage URL or journal:FILE (default sqlite:///OUT/study.db)"),
    "out": (None, ("str", "null"), "the sweep folder (default <train.out>/<config name>[-sweep])"),
    "pruner": ("MedianPruner", ("str", "dict", "null"), "an Optuna pruner, by name or {name: ..., args}; null: none"),
    "sampler": ("TPESampler", ("str", "dict"), "an Optuna sampler: TPESampler, RandomSampler or QMCSampler"),
    "sampler_seed": (None, ("int", "null"), "seeds the sampler (default: the config's seed)"),
    "seeds": ("vary", ("str",), "vary: trial k trains with seed + k; fixed: every trial with the config's seed"),
}
MONITORS = ("val_loss", "val_accuracy")
FULL_BATCH = "full"
SCHEDULE_INTERVALS = ("epoch", "step")

_KIND_NAMES = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
               "list": "a list", "dict": "a mapping", "null": "null", "full": "full (the whole training part)"}
_TYPES = {"str": str, "list": list, "dict": dict}


def kind_ok(value, kinds):
    """Whether ``value`` is one of ``kinds`` (bools are not numbers; ints are floats)."""
    for k in kinds:
        if k == "null" and value is None:
            return True
        if k == "full" and value == FULL_BATCH:
            return True
        if k == "bool" and isinstance(value, bool):
            return True
        if k == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if k in _TYPES and isinstance(value, _TYPES[k]):
            return True
    return False


def batch_size_of(train, n_train):
    """The samples per batch of a normalized ``train`` section for ``n_train`` training
    samples (``batch_size: full`` is all of them, at least 1)."""
    bs = train["batch_size"]
    return max(int(n_train), 1) if bs == FULL_BATCH else bs


def expect(value, kinds, path):
    """``value``, or a ConfigError at ``path`` saying which kinds were expected."""
    if not kind_ok(value, kinds):
        want = " or ".join(_KIND_NAMES[k] for k in kinds)
        raise ConfigError(f"expected {want}, got {short(value)} ({type(value).__name__})", path)
    return value
