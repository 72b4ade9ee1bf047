"""Validate a config against the fixed schema and merge in the defaults.

Arguments of the named loader/loss/optimizer/schedule/layers are left for
nets.builders to check against their signatures; this module checks the
fixed keys, their kinds and ranges.
"""
import copy
import math

from .errors import ConfigError, suggest, unknown
from .schema import (CHECKPOINT, DATA, EARLY, FULL_BATCH, LOGS, MONITOR, MONITOR_WHAT, MONITORS, REQUIRED, SCALES,
                     SCHEDULE_INTERVALS, SWEEP, TOP, TRAIN, expect)


def require_mapping(raw):
    """ConfigError unless the whole config (``raw``) is a mapping."""
    if not isinstance(raw, dict):
        raise ConfigError(f"a config must be a mapping with keys {', '.join(TOP)}, got {type(raw).__name__}")


def merge_section(given, schema, path):
    """Defaults of ``schema`` overlaid with ``given``; unknown keys and wrong kinds rejected."""
    given = {} if given is None else given
    expect(given, ("dict",), path)
    for key in given:
        if key not in schema:
            raise ConfigError(f"unknown key{suggest(key, schema)}; known: {', '.join(schema)}", path + (key,))
    out = {}
    for key, (default, kinds, _) in schema.items():
        if key in given:
            out[key] = expect(given[key], kinds, path + (key,))
        elif default is REQUIRED:
            raise ConfigError(f"missing required key {key!r} ({schema[key][2]})", path)
        else:
            out[key] = copy.deepcopy(default)
    return out


def _fill(section, schema, path):
    """Type-check the ``schema`` keys ``section`` has and default the others (in place);
    other keys stay as they are."""
    for key, (default, kinds, _) in schema.items():
        section[key] = expect(section[key], kinds, path + (key,)) if key in section else copy.deepcopy(default)
    return section


def named_section(value, path, extra_schema=None):
    """``Name`` or ``{name: Name, ...}`` -> dict with 'name' (other keys kept as
    arguments for the named thing; ``extra_schema`` keys are type-checked)."""
    if isinstance(value, str):
        value = {"name": value}
    expect(value, ("dict",), path)
    value = dict(value)
    if "name" not in value:
        if len(value) == 1 and isinstance(next(iter(value.values())), (dict, type(None))):
            (name, args), = value.items()   # {SGD: {lr: 0.1}} is accepted too
            value = {"name": name, **(args or {})}
        else:
            raise ConfigError("missing 'name' (which one to use)", path)
    expect(value["name"], ("str",), path + ("name",))
    return _fill(value, extra_schema or {}, path)


def _fraction(value, path):
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"must be in [0, 1), got {value!r}", path)


def _at_least(value, low, path):
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"must be a finite number >= {low}, got {value!r}", path)
    if value < low:
        raise ConfigError(f"must be >= {low}, got {value!r}", path)


def _one_of(value, choices, what, path):
    if value not in choices:
        raise ConfigError(unknown(what, value, choices), path)


def _train(given):
    """The validated ``train`` section."""
    train = merge_section(given, TRAIN, ("train",))
    train["early_stopping"] = merge_section(train["early_stopping"], EARLY, ("train", "early_stopping"))
    train["checkpoint"] = merge_section(train["checkpoint"], CHECKPOINT, ("train", "checkpoint"))
    if train["batch_size"] != FULL_BATCH:
        _at_least(train["batch_size"], 1, ("train", "batch_size"))
    for key, low in (("epochs", 1), ("accumulate", 1), ("val_interval", 1), ("eval_batch_size", 1)):
        _at_least(train[key], low, ("train", key))
    _fraction(train["val_split"], ("train", "val_split"))
    if train["threads"] != "auto" and not (isinstance(train["threads"], int) and train["threads"] >= 1):
        raise ConfigError(f"must be an integer >= 1 or auto, got {train['threads']!r}", ("train", "threads"))
    for key in ("clip_norm", "clip_value"):
        if train[key] is not None and not 0 < train[key] < math.inf:
            raise ConfigError(f"must be a finite number > 0 (or null for no clipping), got {train[key]!r}",
                              ("train", key))
    for section in ("early_stopping", "checkpoint"):
        _one_of(train[section]["monitor"], MONITORS, "metric", ("train", section, "monitor"))
    _at_least(train["early_stopping"]["patience"], 0, ("train", "early_stopping", "patience"))
    _at_least(train["early_stopping"]["min_delta"], 0, ("train", "early_stopping", "min_delta"))
    _at_least(train["checkpoint"]["every_steps"], 0, ("train", "checkpoint", "every_steps"))
    train["monitor"] = merge_section(train["monitor"], MONITOR, ("train", "monitor"))
    _at_least(train["monitor"]["every_steps"], 0, ("train", "monitor", "every_steps"))
    for i, what in enumerate(train["monitor"]["what"]):
        _one_of(what, MONITOR_WHAT, "diagnostic", ("train", "monitor", "what", i))
    for i, where in enumerate(train["log"]):
        _one_of(where, LOGS, "log", ("train", "log", i))
    return train


MAX_LAYERS = 1000     # model entries, containers' children included


def _count_layers(model):
    """ConfigError if the model lists more than MAX_LAYERS entries in all."""
    count, todo = 0, [model]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            count += len(node)
            todo.extend(node)
        elif isinstance(node, dict):
            todo.extend(v for v in node.values() if isinstance(v, (list, dict)))
        if count > MAX_LAYERS:
            raise ConfigError(f"more than {MAX_LAYERS} layer entries; a config may hold at most {MAX_LAYERS}",
                              ("model",))


def _loss_entry(value, path):
    """One loss, with a graph's ``output`` (a name or a list of names) and ``weight`` (>= 0)."""
    if not isinstance(value, (dict, str)):
        raise ConfigError(f"a loss is a name or a mapping ({{CrossEntropy: {{}}, output: logits}}), got "
                          f"{value!r}", path)
    extra = {k: value[k] for k in ("output", "weight") if isinstance(value, dict) and k in value}
    rest = {k: v for k, v in value.items() if k not in extra} if isinstance(value, dict) else value
    entry = named_section(rest, path)
    if "output" in extra:
        out = extra["output"]
        if not (isinstance(out, str) or (isinstance(out, list) and out and all(isinstance(o, str) for o in out))):
            raise ConfigError(f"expected an output name or a list of them, got {out!r}", path + ("output",))
        entry["output"] = out
    if "weight" in extra:
        expect(extra["weight"], ("float",), path + ("weight",))
        _at_least(extra["weight"], 0, path + ("weight",))
        entry["weight"] = float(extra["weight"])
    return entry


def _loss(value):
    """The ``loss`` section: one loss, or (a graph's) a non-empty list of them."""
    if isinstance(value, list):
        if not value:
            raise ConfigError("a list of losses needs at least one", ("loss",))
        return [_loss_entry(v, ("loss", i)) for i, v in enumerate(value)]
    return _loss_entry(value, ("loss",))


def normalize(raw):
    """Validate the fixed schema and merge defaults; returns a new dict.
    Arguments of the named loader/loss/optimizer/schedule/layers are left for
    nets.builders to check against their signatures."""
    if raw is None:
        raise ConfigError("the config is empty")
    require_mapping(raw)
    cfg = merge_section(raw, TOP, ())
    _at_least(cfg["seed"], 0, ("seed",))
    data = _fill(named_section(cfg["data"], ("data",)), DATA, ("data",))
    _fraction(data["test_split"], ("data", "test_split"))
    _at_least(data["seed"], 0, ("data", "seed"))
    _one_of(data["scale"], SCALES, "scaling", ("data", "scale"))
    cfg["data"] = data
    if not cfg["model"]:
        raise ConfigError("the model has no layers", ("model",))
    if isinstance(cfg["model"], dict) and "nodes" not in cfg["model"]:
        raise ConfigError("a model given as a mapping is a graph: {inputs: [...], nodes: [...], outputs: [...]}; "
                          "it has no nodes", ("model",))
    _count_layers(cfg["model"])
    cfg["loss"] = _loss(cfg["loss"])
    cfg["optimizer"] = named_section(cfg["optimizer"], ("optimizer",),
                                     {"no_decay": (False, ("bool",), "")})
    if cfg["schedule"] is not None:
        cfg["schedule"] = named_section(cfg["schedule"], ("schedule",),
                                        {"interval": ("epoch", ("str",), "")})
        if cfg["schedule"]["interval"] not in SCHEDULE_INTERVALS:
            raise ConfigError(f"must be 'epoch' or 'step', got {cfg['schedule']['interval']!r}",
                              ("schedule", "interval"))
    cfg["train"] = _train(cfg["train"])
    if cfg["sweep"] is None:      # written only where a config has one
        del cfg["sweep"]
    else:                         # its keys and kinds; nets.sweep reads their meaning
        cfg["sweep"] = merge_section(cfg["sweep"], SWEEP, ("sweep",))
    return cfg
