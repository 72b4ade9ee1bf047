"""Validate a config against the fixed schema and merge in the defaults.

Arguments of the named loader/loss/optimizer/schedule/layers are left for
nets.builders to check against their signatures; this module checks the
fixed keys, their kinds and ranges. Every mistake is found in one pass: each
key and each section is checked on its own (nets.config.problems), a bad value
is replaced by its default for the checks that follow, and a section that
cannot be read is marked broken for the builders.
"""
import copy
import math

from .errors import ConfigError, suggest, unknown
from .problems import Problems
from .schema import (CHECKPOINT, DATA, EARLY, FULL_BATCH, LOGS, MONITOR, MONITOR_WHAT, MONITORS, REQUIRED, SCALES,
                     SCHEDULE_INTERVALS, SWEEP, TOP, TRAIN, expect)


def require_mapping(raw):
    """ConfigError unless the whole config (``raw``) is a mapping."""
    if not isinstance(raw, dict):
        raise ConfigError(f"a config must be a mapping with keys {', '.join(TOP)}, got {type(raw).__name__}")


def merge_section(given, schema, path, problems=None):
    """Defaults of ``schema`` overlaid with ``given``; unknown keys and wrong kinds rejected,
    all of them: with ``problems`` each is recorded there (a bad value replaced by its
    default, a required one by None), otherwise the first is raised."""
    own = Problems() if problems is None else problems
    given = {} if given is None else given
    expect(given, ("dict",), path)
    for key in given:
        if key not in schema:
            own.add(ConfigError(f"unknown key{suggest(key, schema)}; known: {', '.join(schema)}", path + (key,)))
    out = {}
    for key, (default, kinds, _) in schema.items():
        if key in given:
            out[key] = own.run(expect, given[key], kinds, path + (key,))
            if out[key] is None and given[key] is not None:
                out[key] = None if default is REQUIRED else copy.deepcopy(default)
        elif default is REQUIRED:
            own.add(ConfigError(f"missing required key {key!r} ({schema[key][2]})", path))
            out[key] = None
        else:
            out[key] = copy.deepcopy(default)
    if problems is None:
        own.raise_all()
    return out


def _fill(section, schema, path, problems=None):
    """Type-check the ``schema`` keys ``section`` has and default the others (in place);
    other keys stay as they are. A bad value is recorded in ``problems`` (and defaulted)."""
    for key, (default, kinds, _) in schema.items():
        if key in section and problems is not None:
            ok = problems.run(expect, section[key], kinds, path + (key,))
            section[key] = ok if ok is not None or section[key] is None else copy.deepcopy(default)
        else:
            section[key] = expect(section[key], kinds, path + (key,)) if key in section else copy.deepcopy(default)
    return section


def named_section(value, path, extra_schema=None, problems=None):
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
    return _fill(value, extra_schema or {}, path, problems)


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


def _train(given, problems):
    """The validated ``train`` section (each mistake recorded in ``problems``)."""
    train = merge_section(given, TRAIN, ("train",), problems)
    for section, schema in (("early_stopping", EARLY), ("checkpoint", CHECKPOINT), ("monitor", MONITOR)):
        merged = problems.run(merge_section, train[section], schema, ("train", section), problems)
        train[section] = merged if merged is not None else merge_section({}, schema, ("train", section))
    checks = [(_at_least, train[key], low, ("train", key)) for key, low in (
        ("epochs", 1), ("accumulate", 1), ("val_interval", 1), ("eval_batch_size", 1))]
    if train["batch_size"] != FULL_BATCH:
        checks.append((_at_least, train["batch_size"], 1, ("train", "batch_size")))
    checks += [(_fraction, train["val_split"], ("train", "val_split")), (_threads, train["threads"])]
    checks += [(_clip, train[key], ("train", key)) for key in ("clip_norm", "clip_value")]
    checks += [(_one_of, train[s]["monitor"], MONITORS, "metric", ("train", s, "monitor"))
               for s in ("early_stopping", "checkpoint")]
    checks += [(_at_least, train["early_stopping"]["patience"], 0, ("train", "early_stopping", "patience")),
               (_at_least, train["early_stopping"]["min_delta"], 0, ("train", "early_stopping", "min_delta")),
               (_at_least, train["checkpoint"]["every_steps"], 0, ("train", "checkpoint", "every_steps")),
               (_at_least, train["monitor"]["every_steps"], 0, ("train", "monitor", "every_steps"))]
    checks += [(_one_of, what, MONITOR_WHAT, "diagnostic", ("train", "monitor", "what", i))
               for i, what in enumerate(train["monitor"]["what"] or [])]
    checks += [(_one_of, where, LOGS, "log", ("train", "log", i)) for i, where in enumerate(train["log"] or [])]
    for check, *args in checks:
        problems.run(check, *args)
    return train


def _threads(value):
    if value != "auto" and not (isinstance(value, int) and value >= 1):
        raise ConfigError(f"must be an integer >= 1 or auto, got {value!r}", ("train", "threads"))


def _clip(value, path):       # null: no clipping
    if value is not None and not 0 < value < math.inf:
        raise ConfigError(f"must be a finite number > 0 (or null for no clipping), got {value!r}", path)


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


def normalize(raw, problems=None):
    """Validate the fixed schema and merge defaults; returns a new dict.
    Arguments of the named loader/loss/optimizer/schedule/layers are left for
    nets.builders to check against their signatures. Every mistake is found:
    with ``problems`` (nets.config.problems) they are recorded there and the
    config returned as far as it could be read (sections that could not be,
    in ``problems.broken``); without, they are raised together."""
    if raw is None:
        raise ConfigError("the config is empty")
    require_mapping(raw)
    own = Problems() if problems is None else problems
    cfg = merge_section(raw, TOP, (), own)
    own.broken.update(k for k in ("data", "model") if cfg[k] is None)     # missing or unreadable: said already
    own.broken.update(e.path[0] for e in own.errors if e.path[:1] == ("imports",))
    with own.check("seed"):
        _at_least(cfg["seed"], 0, ("seed",))
    if cfg["data"] is not None:
        before = len(own)
        with own.check("data"):
            data = _fill(named_section(cfg["data"], ("data",)), DATA, ("data",), own)
            for check, *args in ((_fraction, data["test_split"], ("data", "test_split")),
                                 (_at_least, data["seed"], 0, ("data", "seed")),
                                 (_one_of, data["scale"], SCALES, "scaling", ("data", "scale"))):
                own.run(check, *args)
            cfg["data"] = data
        if len(own) > before:          # no data is loaded from a section with a mistake
            own.broken.add("data")
    with own.check("model"):
        if cfg["model"] is not None and not cfg["model"]:
            raise ConfigError("the model has no layers", ("model",))
        if isinstance(cfg["model"], dict) and "nodes" not in cfg["model"]:
            raise ConfigError("a model given as a mapping is a graph: {inputs: [...], nodes: [...], outputs: "
                              "[...]}; it has no nodes", ("model",))
        _count_layers(cfg["model"] or [])
    with own.check("loss"):
        cfg["loss"] = _loss(cfg["loss"])
    with own.check("optimizer"):
        cfg["optimizer"] = named_section(cfg["optimizer"], ("optimizer",),
                                         {"no_decay": (False, ("bool",), "")}, own)
    if cfg["schedule"] is not None:
        with own.check("schedule"):
            cfg["schedule"] = named_section(cfg["schedule"], ("schedule",),
                                            {"interval": ("epoch", ("str",), "")}, own)
            if cfg["schedule"]["interval"] not in SCHEDULE_INTERVALS:
                raise ConfigError(f"must be 'epoch' or 'step', got {cfg['schedule']['interval']!r}",
                                  ("schedule", "interval"))
    start = len(own)
    cfg["train"] = _train(cfg["train"], own)
    for error in own.errors[start:]:      # a value out of range: its default for the builders, which go on
        _reset(cfg, error.path)
    if own.errors and cfg["seed"] is not None and not (isinstance(cfg["seed"], int) and cfg["seed"] >= 0):
        cfg["seed"] = TOP["seed"][0]
    if cfg["sweep"] is None:      # written only where a config has one
        del cfg["sweep"]
    else:                         # its keys and kinds; nets.sweep reads their meaning
        with own.check("sweep"):
            cfg["sweep"] = merge_section(cfg["sweep"], SWEEP, ("sweep",), own)
    if problems is None:
        own.raise_all()
    return cfg


_SCHEMAS = {("train",): TRAIN, ("train", "early_stopping"): EARLY, ("train", "checkpoint"): CHECKPOINT,
            ("train", "monitor"): MONITOR}


def _reset(cfg, path):
    """Put the schema's default at ``path`` (a key of train or of its sections)."""
    for n in (3, 2):
        schema = _SCHEMAS.get(tuple(path[:n - 1]))
        if schema is not None and len(path) >= n and path[n - 1] in schema:
            node = cfg
            for key in path[:n - 1]:
                node = node[key]
            node[path[n - 1]] = copy.deepcopy(schema[path[n - 1]][0])
            return
