"""Build the pieces of an experiment from a normalized config: the model
(with input sizes inferred from the data's per-sample shape), the loss, the
optimizer and the schedule, and the ``Task`` that turns labels into the
loss's targets and outputs into accuracy.

Model entries (a layer names only what it adds):

    - Linear: {out_features: 128}     # in_features inferred from the input shape
    - ReLU                            # no arguments
    - Dropout: 0.2                    # one value: the first argument
    - Reshape: [1, 8, 8]              # a list: positional arguments
    - Sequential: [...]               # a container: a list of entries
    - Residual: [...]                 # containers: see CONTAINERS
    - Residual: {layers: [...], projection: {Conv2d: {...}}}   # children plus arguments
    - Concat: {layers: [[...], [...]], axis: 1}
    - [...]                           # a bare list is a Sequential

Each layer's ``infer_args(input_shape)`` fills what the entry leaves out; an
explicit value must equal the inferred one. ``output_shape`` then carries the
per-sample shape to the next entry, so a mismatch is reported before training
naming both layers and the shape. Every mistake is a ConfigError whose path
(``model[2].Linear.out_feature``) nets.config turns into a YAML line.
"""
import inspect
import os
from dataclasses import dataclass

import numpy as np

import layers
import losses
import optim
from layers import LAYERS, Layer

from .config import ConfigError, format_path, suggest
from .sequential import Sequential

# How a container hands its input shape to its children: "chain" (each child
# gets the previous child's output) or "parallel" (every child gets the input).
CONTAINERS = {"Sequential": "chain", "Residual": "chain", "Concat": "parallel"}
CHILD_KEYS = ("layers", "branches")
LAYER_ARGS = ("projection",)     # container arguments that are layer entries, fed the container's input


def _flow(cls):
    for klass in cls.__mro__:
        if klass.__name__ in CONTAINERS:
            return CONTAINERS[klass.__name__]
    return getattr(cls, "child_flow", None)


def _strip(message, name):
    for prefix in (f"{name}: ", f"{name}(): "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


_KIND_OF_DEFAULT = ((bool, "true or false"), (int, "an integer"), (float, "a number"), (str, "a string"))


def check_args(target, given, path, skip=(), what="argument"):
    """Check ``given`` keyword arguments against ``target``'s signature:
    unknown names (with a suggestion), missing required ones, and values whose
    kind differs from a bool/int/float/str default. Returns the parameters."""
    params = {n: p for n, p in inspect.signature(target).parameters.items()
              if n not in skip and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in inspect.signature(target).parameters.values())
    for key, value in given.items():
        if key not in params:
            if takes_kwargs:
                continue
            known = ", ".join(params) or "none"
            raise ConfigError(f"unknown {what} {key!r}{suggest(key, params)}; known: {known}", path + (key,))
        default = params[key].default
        if default is inspect.Parameter.empty or default is None:
            continue
        if isinstance(value, list) and isinstance(default, (int, float)) and not isinstance(default, bool):
            continue   # e.g. padding: [1, 2] for an int-or-pair argument: the class checks it
        for kind, words in _KIND_OF_DEFAULT:
            if isinstance(default, kind):
                ok = isinstance(value, bool) if kind is bool else (
                    isinstance(value, (int, float)) and not isinstance(value, bool) if kind is float else
                    isinstance(value, kind) and not isinstance(value, bool))
                if not ok:
                    raise ConfigError(f"expected {words}, got {value!r} ({type(value).__name__})", path + (key,))
                break
    return params


def _missing(params, given, path, what="argument"):
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in given]
    if missing:
        raise ConfigError(f"missing {what}{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}", path)


def _call(target, args, kwargs, path, name):
    try:
        return target(*args, **kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as e:
        raise ConfigError(_strip(str(e), name), path) from None


# -- the model -------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the summary table."""
    path: str
    depth: int
    layer: Layer
    output_shape: tuple
    label: str = ""

    @property
    def num_params(self):
        return self.layer.num_parameters()


def _entry(entry, path):
    """-> (name, value) for one model entry."""
    if isinstance(entry, list):
        return "Sequential", entry
    if isinstance(entry, str):
        return entry, None
    if isinstance(entry, dict) and len(entry) == 1:
        (name, value), = entry.items()
        if isinstance(name, str):
            return name, value
    raise ConfigError(f"a layer entry is a name (ReLU), a one-key mapping ({{Linear: {{out_features: 10}}}}) "
                      f"or a list of entries; got {entry!r}", path)


def _prev_text(prev):
    return "the data" if prev is None else prev


def build_layer(entry, shape, path, prev=None, rows=None, depth=0):
    """Build one entry for per-sample input ``shape``; returns (layer, output shape).
    ``prev`` names the entry that produced ``shape`` (for messages)."""
    name, value = _entry(entry, path)
    try:
        cls = LAYERS.get(name)
    except ValueError as e:
        raise ConfigError(str(e), path) from None
    here = path + (name,)
    where = format_path(here)
    row = Row(where, depth, None, None, str(path[-1]) if path else "")
    if rows is not None:
        rows.append(row)
    if _flow(cls):
        layer = _build_container(cls, name, value, shape, here, prev, rows, depth)
    else:
        layer = _build_leaf(cls, name, value, shape, here, prev)
    try:
        out = tuple(int(d) for d in layer.output_shape(tuple(shape)))
    except (ValueError, TypeError, IndexError) as e:
        raise ConfigError(f"does not fit its input {tuple(shape)} from {_prev_text(prev)}: {_strip(str(e), name)}",
                          here) from None
    row.layer, row.output_shape = layer, out
    return layer, out


def _build_leaf(cls, name, value, shape, here, prev):
    args, kwargs = (), {}
    if isinstance(value, dict):
        kwargs = dict(value)
    elif isinstance(value, list):
        args = tuple(value)
    elif value is not None:
        args = (value,)
    params = check_args(cls, kwargs, here)
    positional = [n for n, p in params.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_var = any(p.kind is p.VAR_POSITIONAL for p in inspect.signature(cls).parameters.values())
    try:
        inferred = dict(cls.infer_args(tuple(shape)))
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise ConfigError(f"cannot take input of shape {tuple(shape)} from {_prev_text(prev)}: {_strip(str(e), name)}",
                          here) from None
    if args and not has_var:   # positional values fill the parameters that are not inferred
        free = [n for n in positional if n not in inferred and n not in kwargs]
        if len(args) > len(free):
            raise ConfigError(f"got {len(args)} positional values {list(args)!r}, but only {len(free)} "
                              f"argument(s) to fill ({', '.join(free) or 'none'})", here)
        kwargs.update(zip(free, args))
        args = ()
        check_args(cls, kwargs, here)
    for key, value_inferred in inferred.items():
        if key in kwargs:
            mine = list(kwargs[key]) if isinstance(kwargs[key], (list, tuple)) else kwargs[key]
            theirs = list(value_inferred) if isinstance(value_inferred, (list, tuple)) else value_inferred
            if mine != theirs:
                raise ConfigError(f"{key} is {kwargs[key]!r}, but the input from {_prev_text(prev)} has shape "
                                  f"{tuple(shape)}, so {key} must be {value_inferred!r} (or be left out)", here + (key,))
        else:
            kwargs[key] = value_inferred
    if not args:
        _missing(params, kwargs, here)
    return _call(cls, args, kwargs, here, name)


def _build_container(cls, name, value, shape, here, prev, rows, depth):
    kwargs = {}
    if isinstance(value, list):
        children, child_path = value, here
    elif isinstance(value, dict):
        keys = [k for k in CHILD_KEYS if k in value]
        if len(keys) != 1:
            raise ConfigError(f"a container takes its children as a list, or as 'layers: [...]' next to its "
                              f"arguments", here)
        children, child_path = value[keys[0]], here + (keys[0],)
        kwargs = {k: v for k, v in value.items() if k != keys[0]}
        check_args(cls, kwargs, here)
    else:
        raise ConfigError(f"a container needs a list of layers, got {value!r}", here)
    if not isinstance(children, list) or not children:
        raise ConfigError("a container needs a non-empty list of layers", child_path)
    built, cur, prev_child = [], tuple(shape), prev
    parallel = _flow(cls) == "parallel"
    for i, child in enumerate(children):
        cpath = child_path + (i,)
        layer, out = build_layer(child, tuple(shape) if parallel else cur, cpath,
                                 prev if parallel else prev_child, rows, depth + 1)
        built.append(layer)
        if not parallel:
            cur, prev_child = out, f"{format_path(cpath + (_entry(child, cpath)[0],))} {out}"
    for key in LAYER_ARGS:
        if kwargs.get(key) is not None:
            kwargs[key], _ = build_layer(kwargs[key], tuple(shape), here + (key,), prev, rows, depth + 1)
    sig = inspect.signature(cls).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in sig):
        return _call(cls, built, kwargs, here, name)
    first = next(p.name for p in sig)
    body = built[0] if len(built) == 1 else Sequential(*built)
    return _call(cls, (), {first: body, **kwargs}, here, name)


def build_model(model_cfg, input_shape):
    """The model: a Sequential of the entries; returns (net, summary rows, output shape).
    The net's first layer is told its input is data (no input gradient)."""
    if not isinstance(model_cfg, list) or not model_cfg:
        raise ConfigError("expected a non-empty list of layers", ("model",))
    rows, built, shape, prev = [], [], tuple(input_shape), None
    for i, entry in enumerate(model_cfg):
        layer, shape = build_layer(entry, shape, ("model", i), prev, rows)
        built.append(layer)
        prev = f"{format_path(('model', i, _entry(entry, ('model', i))[0]))} {shape}"
    net = Sequential(*built).set_propagate_down(False)
    return net, rows, shape


def summary_table(rows, input_shape):
    """The text table of ``kubik summary``: one line per layer (children of
    containers indented), its per-sample output shape and parameter count."""
    lines = [("input", str(tuple(input_shape)), "")]
    for r in rows:
        text = repr(r.layer)
        if "\n" in text:
            text = type(r.layer).__name__
        lines.append(("  " * r.depth + f"{r.label:>2} {text}", str(r.output_shape), f"{r.num_params:,}"))
    head = ("layer", "output shape", "params")
    w = [max(len(line[i]) for line in lines + [head]) for i in range(3)]
    rule = "-" * (w[0] + w[1] + w[2] + 4)
    out = [f"{head[0]:<{w[0]}}  {head[1]:<{w[1]}}  {head[2]:>{w[2]}}", rule]
    out += [f"{a:<{w[0]}}  {b:<{w[1]}}  {c:>{w[2]}}" for a, b, c in lines]
    total = sum(r.num_params for r in rows if r.depth == 0)
    out += [rule, f"total parameters: {total:,}"]
    return "\n".join(out)


# -- loss, targets, accuracy -----------------------------------------------------------------------

def _plain_kwargs(section, drop):
    return {k: v for k, v in section.items() if k not in drop}


def build_loss(section):
    try:
        cls = losses.LOSSES.get(section["name"])
    except ValueError as e:
        raise ConfigError(str(e), ("loss", "name")) from None
    kwargs = _plain_kwargs(section, ("name",))
    _missing(check_args(cls, kwargs, ("loss",)), kwargs, ("loss",))
    return _call(cls, (), kwargs, ("loss",), cls.__name__)


class Task:
    """Turns integer labels (or regression targets) into what the loss
    expects and model outputs into an accuracy.

    CrossEntropy / NLL: integer labels, accuracy by argmax. BCE, BCEWithLogits,
    MSE on labels: a single output gets labels as (N, 1) floats (accuracy by
    thresholding at 0.5, or 0 for logits), several outputs get one-hot rows
    (accuracy by argmax). A float target is a regression: no accuracy.
    """

    def __init__(self, loss, out_shape, num_classes, target_shape=(), where=("model",)):
        self.labels = isinstance(loss, (losses.CrossEntropy, losses.NLL))
        self.out_shape, self.num_classes = tuple(out_shape), num_classes
        self.threshold = 0.0 if isinstance(loss, losses.BCEWithLogits) else 0.5
        name = type(loss).__name__
        if num_classes is None:
            if self.labels:
                raise ConfigError(f"{name} needs integer class labels, but the data's targets are real numbers "
                                  f"(use MSE for regression)", ("loss",))
            want = tuple(target_shape) or (1,)
            if self.out_shape != want:
                raise ConfigError(f"the model outputs {self.out_shape} per sample, the regression targets are "
                                  f"{want}", where)
            return
        if len(self.out_shape) != 1:
            raise ConfigError(f"the model outputs shape {self.out_shape} per sample; {name} on class labels "
                              f"needs a flat vector of scores (add Flatten and Linear)", where)
        width = self.out_shape[0]
        if self.labels and width < num_classes:
            raise ConfigError(f"the last layer gives {width} outputs, but the data has {num_classes} classes "
                              f"(set its out_features to {num_classes})", where)
        if not self.labels and width != 1 and width != num_classes:
            raise ConfigError(f"the last layer gives {width} outputs; {name} on {num_classes} classes needs 1 "
                              f"output (two classes) or {num_classes} (one-hot)", where)
        if not self.labels and width == 1 and num_classes > 2:
            raise ConfigError(f"one output cannot separate {num_classes} classes; use {num_classes} outputs "
                              f"(one-hot) or CrossEntropy", where)

    def targets(self, y):
        if self.num_classes is None:
            return (y.reshape(len(y), *self.out_shape)).astype(np.float32)
        if self.labels:
            return y
        if self.out_shape == (1,):
            return y.reshape(-1, 1).astype(np.float32)
        onehot = np.zeros((len(y), self.out_shape[0]), np.float32)
        onehot[np.arange(len(y)), y] = 1.0
        return onehot

    def correct(self, out, y):
        """Number of correct predictions (None for regression)."""
        if self.num_classes is None:
            return None
        pred = (out[:, 0] > self.threshold).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
        return int((pred == y).sum())


# -- optimizer and schedule ---------------------------------------------------------------------------

def build_optimizer(section, net):
    try:
        cls = optim.OPTIMIZERS.get(section["name"])
    except ValueError as e:
        raise ConfigError(str(e), ("optimizer", "name")) from None
    kwargs = _plain_kwargs(section, ("name", "no_decay"))
    _missing(check_args(cls, kwargs, ("optimizer",), skip=("params",)), kwargs, ("optimizer",))
    params = optim.param_groups_no_decay(net) if section.get("no_decay") else net.parameters()
    return _call(cls, (params,), kwargs, ("optimizer",), cls.__name__)


def _schedule_spec(spec, path):
    """A schedule entry: 'Name', {name: Name, ...} or {Name: {...}} -> (name, kwargs)."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, dict) and "name" in spec:
        return spec["name"], {k: v for k, v in spec.items() if k not in ("name", "interval")}
    if isinstance(spec, dict) and len(spec) == 1:
        (name, kwargs), = spec.items()
        if kwargs is None or isinstance(kwargs, dict):
            return name, dict(kwargs or {})
    raise ConfigError(f"expected a schedule name or {{name: ..., arguments}}, got {spec!r}", path)


def build_schedule(spec, optimizer, path=("schedule",)):
    """A Schedule from a config entry (None -> None); nested schedule
    arguments (LinearWarmup's ``after``) are built the same way."""
    if spec is None:
        return None
    name, kwargs = _schedule_spec(spec, path)
    try:
        cls = optim.SCHEDULES.get(name)
    except ValueError as e:
        raise ConfigError(str(e), path + (("name",) if isinstance(spec, dict) and "name" in spec else ())) from None
    _missing(check_args(cls, kwargs, path, skip=("optimizer",)), kwargs, path)
    for key, value in list(kwargs.items()):
        if key == "after" and value is not None:
            kwargs[key] = build_schedule(value, optimizer, path + (key,))
    return _call(cls, (optimizer,), kwargs, path, cls.__name__)


def loader_args(data_section):
    """The loader's own arguments from a normalized ``data`` section, checked
    against its signature."""
    from .datasets import DATASETS
    try:
        loader = DATASETS.get(data_section["name"])
    except ValueError as e:
        raise ConfigError(str(e), ("data", "name")) from None
    args = {k: v for k, v in data_section.items() if k not in ("name", "test_split", "seed", "scale")}
    _missing(check_args(loader, args, ("data",), skip=("rng",)), args, ("data",))
    return args


def _representable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    return isinstance(v, (list, tuple)) and all(_representable(x) for x in v)


def fill_defaults(section, target, skip=()):
    """Add ``target``'s signature defaults that ``section`` leaves out (plain
    values only), so the resolved config written to a run says everything."""
    for name, p in inspect.signature(target).parameters.items():
        if name in skip or name in section or p.default is p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if _representable(p.default):
            section[name] = list(p.default) if isinstance(p.default, tuple) else p.default


def resolve(cfg):
    """Fill the defaults of the named loader, loss, optimizer and schedule into
    ``cfg`` in place (after checking the given arguments); returns cfg."""
    from .datasets import DATASETS
    loader_args(cfg["data"])
    fill_defaults(cfg["data"], DATASETS.get(cfg["data"]["name"]), ("rng",))
    for key, registry, skip in (("loss", losses.LOSSES, ()), ("optimizer", optim.OPTIMIZERS, ("params",)),
                                ("schedule", optim.SCHEDULES, ("optimizer",))):
        section = cfg[key]
        if section is None:
            continue
        try:
            cls = registry.get(section["name"])
        except ValueError as e:
            raise ConfigError(str(e), (key, "name")) from None
        check_args(cls, {k: v for k, v in section.items() if k not in ("name", "no_decay", "interval")},
                   (key,), skip=skip)
        fill_defaults(section, cls, skip)
    return cfg


@dataclass
class Experiment:
    """Everything built from one config."""
    config: dict
    data: object
    net: Layer
    rows: list
    loss: object
    task: Task
    optimizer: object
    schedule: object


def build(cfg, data=None):
    """Data, model, loss, task, optimizer and schedule from a normalized config.
    Seeds the package generator with ``cfg['seed']`` before building the model."""
    from .datasets import prepare
    resolve(cfg)
    if data is None:
        data = prepare(cfg["data"], cfg["train"]["val_split"], loader_args(cfg["data"]))
        if isinstance(cfg["data"].get("path"), str):   # the run's config.yaml then works from anywhere
            cfg["data"]["path"] = os.path.abspath(os.path.expanduser(cfg["data"]["path"]))
    layers.seed(cfg["seed"])
    net, rows, out_shape = build_model(cfg["model"], data.input_shape)
    loss = build_loss(cfg["loss"])
    last = len(cfg["model"]) - 1
    where = ("model", last, _entry(cfg["model"][last], ("model", last))[0])
    task = Task(loss, out_shape, data.num_classes, data.y_train.shape[1:], where)
    opt = build_optimizer(cfg["optimizer"], net)
    sched = build_schedule(cfg["schedule"], opt)
    return Experiment(cfg, data, net, rows, loss, task, opt, sched)
