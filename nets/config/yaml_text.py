"""Reading and writing config YAML: PyYAML's safe loader (plain data only, no
Python objects, no code), a map from every entry to its line number so that
errors can name the line, and the resolved config written back as YAML."""
import re

import yaml

from .errors import ConfigError
from .yaml_guard import check_nodes


class SafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader (plain data only, no Python objects, no code), also
    reading ``1e-3`` as a number: YAML 1.1 wants ``1.0e-3`` and would give the
    string '1e-3'."""


SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def _compose_construct(text, name):
    """(data, root node): composed, checked by ``check_nodes`` (duplicate keys,
    alias bombs) and only then constructed."""
    loader = SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise ConfigError(f"{name}: not valid YAML: nested too deeply") from None
        check_nodes(node, name)
        try:
            return (loader.construct_document(node) if node is not None else None), node
        except ValueError as e:     # e.g. an integer of more digits than Python converts
            raise ConfigError(f"{name}: not valid YAML: a value cannot be read ({str(e)[:80]})") from None
    finally:
        loader.dispose()


def safe_load(text, name="<yaml>"):
    """Plain data from YAML ``text``; duplicate keys and alias bombs are a ConfigError."""
    return _compose_construct(text, name)[0]


def _line_map(node, path=(), out=None):
    """{path: 1-based line} for every mapping key and list item below ``node``."""
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


def parse_yaml(text, name):
    """``safe_load`` plus a map path -> line number (via ``yaml.compose``,
    which builds nodes only: no Python objects, no code)."""
    try:
        data, node = _compose_construct(text, name)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    return data, _line_map(node) if node is not None else {}


def dump(cfg):
    """The resolved config as YAML text (keys in schema order)."""
    return yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None)
