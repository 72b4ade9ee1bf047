"""Configs are data, and data can be hostile: a check of the composed YAML
node graph before any Python object is built from it.

    - a mapping with the same key twice is refused, naming both lines
      (PyYAML silently keeps the last one);
    - aliases may be reused, but the document they expand to is capped at
      MAX_NODES nodes (an alias bomb: a 200-byte file expanding to billions
      of entries) and no list may hold more than MAX_LIST items;
    - a recursive alias (a list that contains itself) is refused, and so is
      nesting deeper than MAX_DEPTH.

The walk visits every distinct node once and sums sizes, so it costs as much
as the file is long, however far the aliases would expand.
"""
import yaml

from .errors import ConfigError

MAX_NODES = 100_000     # scalars, lists and mappings the whole document may expand to
MAX_LIST = 10_000       # items in one list (or entries of one mapping)
MAX_DEPTH = 64          # lists and mappings nested in each other


def _key(node):
    return node.value if isinstance(node, yaml.ScalarNode) else None


def check_nodes(root, name):
    """ConfigError (one line, placed at ``name:line``) if the node graph under
    ``root`` has duplicate keys, a recursive alias, or expands beyond the caps."""
    sizes, active = {}, set()

    def size(node, depth=0):
        nid = id(node)
        if nid in sizes:
            return sizes[nid]
        if nid in active:
            raise ConfigError(f"{name}:{node.start_mark.line + 1}: not valid YAML: a recursive alias "
                              f"(a value that contains itself)")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{name}:{node.start_mark.line + 1}: lists and mappings nested more than "
                              f"{MAX_DEPTH} deep; a config may nest at most {MAX_DEPTH}")
        active.add(nid)
        total = 1
        if isinstance(node, yaml.MappingNode):
            _same_keys(node, name)
            children = [n for kv in node.value for n in kv]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = ()
        if len(children) > 2 * MAX_LIST or (isinstance(node, yaml.SequenceNode) and len(children) > MAX_LIST):
            raise ConfigError(f"{name}:{node.start_mark.line + 1}: a list or mapping of {len(children)} "
                              f"entries; a config may hold at most {MAX_LIST} in one")
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_NODES:
                raise ConfigError(f"{name}:{node.start_mark.line + 1}: this value expands to more than "
                                  f"{MAX_NODES} entries (aliases repeated many times?); a config may hold at "
                                  f"most {MAX_NODES}")
        active.discard(nid)
        sizes[nid] = total
        return total

    if root is not None:
        size(root)


def _same_keys(node, name):
    seen = {}
    for k, _ in node.value:
        key = _key(k)
        if key is None or key == "<<":
            continue
        if key in seen:
            raise ConfigError(f"{name}:{k.start_mark.line + 1}: duplicate key {key[:60]!r} (first given at "
                              f"line {seen[key]}); give each key once")
        seen[key] = k.start_mark.line + 1
