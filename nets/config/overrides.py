"""``--set KEY=VALUE`` overrides: a dotted path with [index]es into the raw
config, and a YAML value put there before the config is validated.

    --set optimizer.lr=0.05
    --set model[1].Linear.out_features=64
    --set model[3].ReLU.inplace=true      # a bare 'ReLU' entry becomes {ReLU: {}}

Other flags that set entries the same way (``kubik sweep --param``) pass their
name as ``flag``, which the messages then name.
"""
import copy
import re

import yaml

from .errors import ConfigError, format_path, unknown
from .schema import TOP
from .yaml_text import safe_load

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)|\[(-?\d+)\]|(\.)")
NAMED_SECTIONS = ("loss", "optimizer", "schedule", "data")   # may be written as just a name


def parse_set_path(text, flag="--set"):
    """'model[1].Linear.out_features' -> ('model', 1, 'Linear', 'out_features')."""
    out, pos, expect_name = [], 0, True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or (m.group(3) and expect_name) or (m.group(1) and not expect_name):
            raise ConfigError(f"bad {flag} path {text!r}: expected names joined by '.' and [index], "
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
        raise ConfigError(f"bad {flag} path {text!r}: expected e.g. optimizer.lr=0.05")
    return tuple(out)


def _not_mapping(key, node, parent):
    whole = format_path(parent)
    return ConfigError(f"{key}: {whole or 'the config'} is {node!r}, not a mapping" +
                       (f"; set it whole, e.g. --set {whole}=..." if whole else ""))


def _unknown_top(key, name):
    return ConfigError(f"{key}: {unknown('top-level key', name, TOP)}")


def _step(node, path, i, key):
    """The container at ``path[:i + 1]`` below ``node`` (which is at ``path[:i]``),
    created (or a bare name turned into a mapping) where the override needs it."""
    part, nxt = path[i], path[i + 1]
    if isinstance(part, int):
        if not isinstance(node, list):
            raise ConfigError(f"{key}: {format_path(path[:i]) or 'the config'} is not a list")
        if not -len(node) <= part < len(node):
            raise ConfigError(f"{key}: {format_path(path[:i])} has {len(node)} entries, no [{part}]")
        if isinstance(node[part], str) and isinstance(nxt, str) and nxt == node[part]:
            node[part] = {node[part]: {}}     # bare 'ReLU' -> {ReLU: {}} to set an argument
        return node[part]
    if not isinstance(node, dict):
        raise _not_mapping(key, node, path[:i])
    if part not in node or node[part] is None:
        if i == 0 and part not in TOP:
            raise _unknown_top(key, part)
        if i == 0 and "dict" not in TOP[part][1]:
            raise ConfigError(f"{key}: {part} is not a mapping")
        if len(node) == 1 and i > 0 and isinstance(path[i - 1], int) and part not in node:
            have = next(iter(node))
            raise ConfigError(f"{key}: {format_path(path[:i])} is a {have!r} entry, not {part!r}")
        if isinstance(nxt, int):
            raise ConfigError(f"{key}: {format_path(path[:i + 1])} does not exist")
        default = TOP[part][0] if i == 0 else None
        node[part] = copy.deepcopy(default) if isinstance(default, dict) else {}
    elif isinstance(node[part], str) and i == 0 and part in NAMED_SECTIONS:
        node[part] = {"name": node[part]}
    return node[part]


def apply_set(cfg, text, flag="--set"):
    """Apply one ``KEY=VALUE`` override in place (VALUE is parsed as YAML);
    returns the path. Intermediate mappings are created; a bad path is a ConfigError
    whose message starts with ``flag`` and the key."""
    if "=" not in text:
        raise ConfigError(f"{flag} {text!r}: expected KEY=VALUE, e.g. {flag} optimizer.lr=0.05")
    key, _, value_text = text.partition("=")
    path = parse_set_path(key.strip(), flag)
    key = f"{flag} {key}"
    try:
        value = safe_load(value_text) if value_text.strip() else None
    except yaml.YAMLError as e:
        raise ConfigError(f"{flag} {text}: the value is not valid YAML ({getattr(e, 'problem', e)})") from None
    except ConfigError as e:      # duplicate keys, alias bombs: "<yaml>:1: why"
        raise ConfigError(f"{key}: {e.message.partition(': ')[2]}") from None
    node = cfg
    for i in range(len(path) - 1):
        node = _step(node, path, i, key)
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not -len(node) <= last < len(node):
            raise ConfigError(f"{key}: {format_path(path[:-1])} has no entry [{last}]")
    elif not isinstance(node, dict):
        raise _not_mapping(key, node, path[:-1])
    elif len(path) == 1 and last not in TOP:
        raise _unknown_top(key, last)
    node[last] = value
    return path
