"""Experiment configs: read YAML safely, merge defaults, apply ``--set``
overrides and validate, reporting every mistake as one ``ConfigError`` line
that names the entry (``model[2].Linear: unknown argument 'out_feature' (did
you mean 'out_features'?)``) and, where known, the YAML line.

The schema (documented in README, "Config schema"):

    seed       int: initialization, dropout and shuffling
    data       {name: <data set>, test_split, seed, scale, ...loader arguments}
    model      list of layers: ``{Linear: {out_features: 10}}`` or ``ReLU``
    loss       {name: CrossEntropy, ...arguments}           (or just a name)
    optimizer  {name: SGD, lr: 0.1, no_decay: false, ...arguments}
    schedule   null or {name: StepLR, interval: epoch | step, ...arguments}
    train      epochs, batch_size, val_split, ... (see TRAIN below)

``data``, ``loss``, ``optimizer`` and ``schedule`` arguments are checked
against the signature of the loader / class they name (nets.build does that);
this module checks the fixed keys.
"""
import copy
import difflib
import hashlib
import json
import re

import yaml


class ConfigError(Exception):
    """A mistake in a config or on the command line: one line, exit code 2."""

    def __init__(self, message, path=()):
        self.path = tuple(path)
        self.message = message
        super().__init__(f"{format_path(self.path)}: {message}" if self.path else message)


def format_path(path):
    """('model', 2, 'Linear') -> 'model[2].Linear'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def suggest(name, choices):
    """" (did you mean 'x'?)" or ""."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        lower = {str(c).lower(): str(c) for c in choices}
        close = [lower[str(name).lower()]] if str(name).lower() in lower else []
    return f" (did you mean {close[0]!r}?)" if close else ""


REQUIRED = object()

# key -> (default, kinds, description). kinds: a tuple of "int", "float", "bool",
# "str", "list", "dict", "null"; float accepts ints.
TOP = {
    "seed": (0, ("int",), "seeds initialization, dropout masks and shuffling"),
    "data": (REQUIRED, ("dict", "str"), "the data set and how to split and scale it"),
    "model": (REQUIRED, ("list",), "the layers, in order"),
    "loss": ({"name": "CrossEntropy"}, ("dict", "str"), "the loss"),
    "optimizer": ({"name": "SGD", "lr": 0.01}, ("dict", "str"), "the optimizer"),
    "schedule": (None, ("dict", "str", "null"), "a learning-rate schedule"),
    "train": ({}, ("dict",), "the training loop"),
}
DATA = {
    "name": (REQUIRED, ("str",), "digits, breast_cancer, spirals, xor, circles, idx (mnist), npz, csv"),
    "test_split": (0.2, ("float",), "held-out test fraction (ignored when the data has its own test set)"),
    "seed": (0, ("int",), "seeds synthetic data and the test/validation splits"),
    "scale": ("standard", ("str",), "none, standard, minmax or max"),
}
SCALES = ("none", "standard", "minmax", "max")
TRAIN = {
    "epochs": (10, ("int",), "passes over the training data"),
    "batch_size": (32, ("int",), "samples per micro-batch"),
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
MONITORS = ("val_loss", "val_accuracy")
SCHEDULE_INTERVALS = ("epoch", "step")

_KIND_NAMES = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
               "list": "a list", "dict": "a mapping", "null": "null"}


def kind_ok(value, kinds):
    for k in kinds:
        if k == "null" and value is None:
            return True
        if k == "bool" and isinstance(value, bool):
            return True
        if k == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if k in ("str", "list", "dict") and isinstance(value, {"str": str, "list": list, "dict": dict}[k]):
            return True
    return False


def expect(value, kinds, path):
    if not kind_ok(value, kinds):
        want = " or ".join(_KIND_NAMES[k] for k in kinds)
        raise ConfigError(f"expected {want}, got {value!r} ({type(value).__name__})", path)
    return value


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
    for key, (default, kinds, _) in (extra_schema or {}).items():
        value[key] = expect(value[key], kinds, path + (key,)) if key in value else copy.deepcopy(default)
    return value


def _fraction(value, path, top_open=True):
    if not (0.0 <= value < 1.0 if top_open else 0.0 <= value <= 1.0):
        raise ConfigError(f"must be in [0, 1{')' if top_open else ']'}, got {value!r}", path)


def _at_least(value, low, path):
    if value < low:
        raise ConfigError(f"must be >= {low}, got {value!r}", path)


def normalize(raw):
    """Validate the fixed schema and merge defaults; returns a new dict.
    Arguments of the named loader/loss/optimizer/schedule/layers are left for
    nets.build to check against their signatures."""
    if raw is None:
        raise ConfigError("the config is empty")
    if not isinstance(raw, dict):
        raise ConfigError(f"a config must be a mapping with keys {', '.join(TOP)}, got {type(raw).__name__}")
    cfg = merge_section(raw, TOP, ())
    data = named_section(cfg["data"], ("data",))
    for key, (default, kinds, _) in DATA.items():
        data[key] = expect(data[key], kinds, ("data", key)) if key in data else copy.deepcopy(default)
    _fraction(data["test_split"], ("data", "test_split"))
    if data["scale"] not in SCALES:
        raise ConfigError(f"unknown scaling {data['scale']!r}{suggest(data['scale'], SCALES)}; "
                          f"known: {', '.join(SCALES)}", ("data", "scale"))
    cfg["data"] = data
    if not cfg["model"]:
        raise ConfigError("the model has no layers", ("model",))
    cfg["loss"] = named_section(cfg["loss"], ("loss",))
    cfg["optimizer"] = named_section(cfg["optimizer"], ("optimizer",),
                                     {"no_decay": (False, ("bool",), "")})
    if cfg["schedule"] is not None:
        cfg["schedule"] = named_section(cfg["schedule"], ("schedule",),
                                        {"interval": ("epoch", ("str",), "")})
        if cfg["schedule"]["interval"] not in SCHEDULE_INTERVALS:
            raise ConfigError(f"must be 'epoch' or 'step', got {cfg['schedule']['interval']!r}",
                              ("schedule", "interval"))
    train = merge_section(cfg["train"], TRAIN, ("train",))
    train["early_stopping"] = merge_section(train["early_stopping"], EARLY, ("train", "early_stopping"))
    train["checkpoint"] = merge_section(train["checkpoint"], CHECKPOINT, ("train", "checkpoint"))
    for key, low in (("epochs", 1), ("batch_size", 1), ("accumulate", 1), ("val_interval", 1), ("eval_batch_size", 1)):
        _at_least(train[key], low, ("train", key))
    _fraction(train["val_split"], ("train", "val_split"))
    for key in ("clip_norm", "clip_value"):
        if train[key] is not None and not train[key] > 0:
            raise ConfigError(f"must be > 0 (or null for no clipping), got {train[key]!r}", ("train", key))
    for section in ("early_stopping", "checkpoint"):
        mon = train[section]["monitor"]
        if mon not in MONITORS:
            raise ConfigError(f"unknown metric {mon!r}{suggest(mon, MONITORS)}; known: {', '.join(MONITORS)}",
                              ("train", section, "monitor"))
    _at_least(train["early_stopping"]["patience"], 0, ("train", "early_stopping", "patience"))
    _at_least(train["early_stopping"]["min_delta"], 0, ("train", "early_stopping", "min_delta"))
    _at_least(train["checkpoint"]["every_steps"], 0, ("train", "checkpoint", "every_steps"))
    cfg["train"] = train
    return cfg


# -- reading YAML with line numbers ----------------------------------------------------------

class Source:
    """Where a config came from: the file name, the YAML line of every entry
    and the ``--set`` overrides, used to place an error."""

    def __init__(self, name="<config>", lines=None, overrides=()):
        self.name, self.lines, self.overrides = name, dict(lines or {}), list(overrides)

    def where(self, path):
        """'file.yaml:7' for the longest known prefix of ``path`` (or the
        --set that supplied it)."""
        path = tuple(path)
        for spath, text in reversed(self.overrides):
            if path[:len(spath)] == spath or spath[:len(path)] == path and path:
                return f"--set {text}"
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return f"{self.name}:{self.lines[path[:n]]}"
        return self.name

    def format(self, err):
        return f"{self.where(err.path)}: {err}"


def _line_map(node, path=(), out=None):
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value
            if k.tag.endswith(":int"):
                try:
                    key = int(key)
                except ValueError:
                    pass
            out.setdefault(path + (key,), k.start_mark.line + 1)
            _line_map(v, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out.setdefault(path + (i,), v.start_mark.line + 1)
            _line_map(v, path + (i,), out)
    return out


class SafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader (plain data only, no Python objects, no code), also
    reading ``1e-3`` as a number: YAML 1.1 wants ``1.0e-3`` and would give the
    string '1e-3'."""


SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def safe_load(text):
    return yaml.load(text, Loader=SafeLoader)


def parse_yaml(text, name):
    """``safe_load`` plus a map path -> line number (via ``yaml.compose``,
    which builds nodes only: no Python objects, no code)."""
    try:
        data = safe_load(text)
        node = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    return data, _line_map(node) if node is not None else {}


# -- --set overrides ------------------------------------------------------------------------

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)|\[(-?\d+)\]|(\.)")


def parse_set_path(text):
    """'model[1].Linear.out_features' -> ('model', 1, 'Linear', 'out_features')."""
    out, pos, expect_name = [], 0, True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or (m.group(3) and expect_name) or (m.group(1) and not expect_name):
            raise ConfigError(f"bad --set path {text!r}: expected names joined by '.' and [index], "
                              f"e.g. optimizer.lr or model[0].Linear.out_features")
        if m.group(1):
            out.append(m.group(1))
            expect_name = False
        elif m.group(2):
            out.append(int(m.group(2)))
        else:
            expect_name = True
        pos = m.end()
    if not out or expect_name or not isinstance(out[0], str):
        raise ConfigError(f"bad --set path {text!r}: expected e.g. optimizer.lr=0.05")
    return tuple(out)


def apply_set(cfg, text):
    """Apply one ``KEY=VALUE`` override in place (VALUE is parsed as YAML);
    returns the path. Intermediate mappings are created; a bad path is a ConfigError."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, e.g. --set optimizer.lr=0.05")
    key, _, value_text = text.partition("=")
    path = parse_set_path(key.strip())
    try:
        value = safe_load(value_text) if value_text.strip() else None
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {text}: the value is not valid YAML ({getattr(e, 'problem', e)})") from None
    node = cfg
    for i, part in enumerate(path[:-1]):
        here = format_path(path[:i + 1])
        nxt = path[i + 1]
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ConfigError(f"--set {key}: {format_path(path[:i]) or 'the config'} is not a list")
            if not -len(node) <= part < len(node):
                raise ConfigError(f"--set {key}: {format_path(path[:i])} has {len(node)} entries, no [{part}]")
            if isinstance(node[part], str) and isinstance(nxt, str) and nxt == node[part]:
                node[part] = {node[part]: {}}     # bare 'ReLU' -> {ReLU: {}} to set an argument
            node = node[part]
        else:
            if not isinstance(node, dict):
                whole = format_path(path[:i])
                raise ConfigError(f"--set {key}: {whole or 'the config'} is {node!r}, not a mapping" +
                                  (f"; set it whole, e.g. --set {whole}=..." if whole else ""))
            if part not in node or node[part] is None:
                if i == 0 and part not in TOP:
                    raise ConfigError(f"--set {key}: unknown top-level key {part!r}{suggest(part, TOP)}; "
                                      f"known: {', '.join(TOP)}")
                if i == 0 and "dict" not in TOP[part][1]:
                    raise ConfigError(f"--set {key}: {part} is not a mapping")
                if len(node) == 1 and i > 0 and isinstance(path[i - 1], int) and part not in node:
                    have = next(iter(node))
                    raise ConfigError(f"--set {key}: {format_path(path[:i])} is a {have!r} entry, not {part!r}")
                if isinstance(nxt, int):
                    raise ConfigError(f"--set {key}: {here} does not exist")
                default = TOP[part][0] if i == 0 else None
                node[part] = copy.deepcopy(default) if isinstance(default, dict) else {}
            elif isinstance(node[part], str) and i == 0 and part in ("loss", "optimizer", "schedule", "data"):
                node[part] = {"name": node[part]}
            node = node[part]
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not -len(node) <= last < len(node):
            raise ConfigError(f"--set {key}: {format_path(path[:-1])} has no entry [{last}]")
    elif not isinstance(node, dict):
        whole = format_path(path[:-1])
        raise ConfigError(f"--set {key}: {whole or 'the config'} is {node!r}, not a mapping" +
                          (f"; set it whole, e.g. --set {whole}=..." if whole else ""))
    elif len(path) == 1 and last not in TOP:
        raise ConfigError(f"--set {key}: unknown top-level key {last!r}{suggest(last, TOP)}; known: {', '.join(TOP)}")
    node[last] = value
    return path


def load(path, sets=(), text=None):
    """Read a config file, apply ``--set`` overrides and validate the schema.
    Returns (config dict, Source). Raises ConfigError already placed (file:line)."""
    name = str(path)
    if text is None:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            raise ConfigError(f"{name}: config file not found") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
            raise ConfigError(f"{name}: cannot read the config ({type(e).__name__})") from None
    raw, lines = parse_yaml(text, name)
    source = Source(name, lines)
    try:
        if raw is not None and not isinstance(raw, dict):
            raise ConfigError(f"a config must be a mapping with keys {', '.join(TOP)}, got {type(raw).__name__}")
        raw = {} if raw is None and sets else raw
        for s in sets:
            source.overrides.append((apply_set(raw, s), s))
        return normalize(raw), source
    except ConfigError as e:
        raise ConfigError(source.format(e)) from None


def dump(cfg):
    """The resolved config as YAML text (keys in schema order)."""
    return yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None)


def config_hash(cfg):
    """SHA-256 of everything that determines the trained weights; train.epochs,
    train.out and train.progress are left out, so a run can be extended."""
    c = copy.deepcopy(cfg)
    for k in ("epochs", "out", "progress"):
        c.get("train", {}).pop(k, None)
    return hashlib.sha256(json.dumps(c, sort_keys=True, default=str).encode()).hexdigest()[:16]
