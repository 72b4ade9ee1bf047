"""Checking a config's arguments against the signature of the class or
function they go to, and calling it so that its own ValueError/TypeError
becomes a ConfigError at the entry's path."""
import inspect
import math

from ..config import ConfigError, Problems, suggest
from ..config.schema import expect

# The kind a value must have when the parameter's default is of this type (bool before int).
_KIND_OF_DEFAULT = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"))


def lookup(registry, name, path):
    """``registry.get(name)``, its "unknown ..." ValueError as a ConfigError at ``path``."""
    try:
        return registry.get(name)
    except ValueError as e:
        raise ConfigError(str(e), path) from None


def check_args(target, given, path, skip=(), what="argument", also=(), every=False):
    """Check ``given`` keyword arguments against ``target``'s signature:
    unknown names (with a suggestion, also among the names ``also``) and
    values whose kind differs from a bool/int/float/str default. Returns the parameters.
    ``every``: report all the mistakes (ConfigErrors), not only the first."""
    signature = inspect.signature(target).parameters
    params = {n: p for n, p in signature.items()
              if n not in skip and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.values())
    problems = Problems()
    for key, value in given.items():
        if key not in params:
            if takes_kwargs:
                continue
            known = ", ".join([*params, *also]) or "none"
            problems.add(ConfigError(f"unknown {what} {key!r}{suggest(key, [*params, *also])}; known: {known}",
                                     path + (key,)))
            if not every:
                break
            continue
        default = params[key].default
        if default is inspect.Parameter.empty or default is None or value is None:
            continue     # null: the class says whether it takes None (BatchNorm's momentum does)
        if isinstance(value, list) and isinstance(default, (int, float)) and not isinstance(default, bool):
            continue   # e.g. padding: [1, 2] for an int-or-pair argument: the class checks it
        kind = next((k for t, k in _KIND_OF_DEFAULT if isinstance(default, t)), None)
        if kind is not None:
            problems.run(expect, value, (kind,), path + (key,))
            if problems and not every:
                break
    problems.raise_all()
    return params


def check_missing(params, given, path, what="argument"):
    """ConfigError naming the required ``params`` that ``given`` lacks."""
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in given]
    if missing:
        raise ConfigError(f"missing {what}{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}", path)


def check_complete(target, given, path, skip=(), also=(), every=False):
    """``check_args`` and then ``check_missing``: ``given`` is all ``target`` needs."""
    check_missing(check_args(target, given, path, skip=skip, also=also, every=every), given, path)


def section_kwargs(section, drop):
    """A named section's arguments: all keys but ``drop`` (name, interval, ...)."""
    return {k: v for k, v in section.items() if k not in drop}


def strip_name(message, name):
    """A layer's message without its leading "Name: " (the path names it already)."""
    for prefix in (f"{name}: ", f"{name}(): "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def call(target, args, kwargs, path, name):
    """``target(*args, **kwargs)``; a ValueError/TypeError becomes a ConfigError at ``path``."""
    try:
        return target(*args, **kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as e:
        raise ConfigError(strip_name(str(e), name), path) from None
    except MemoryError as e:
        raise ConfigError(f"cannot allocate {name}: {memory_text(e)}", path) from None


def memory_text(e):
    """"<bytes> bytes (an array of shape ... dtype)" from numpy's MemoryError, or its message."""
    shape, dtype = getattr(e, "shape", None), getattr(e, "dtype", None)
    if shape is None or dtype is None:
        return f"out of memory ({str(e)[:120] or 'MemoryError'})"
    size = math.prod(shape) * dtype.itemsize
    return f"{size:,} bytes ({size / 2**30:,.1f} GiB) for an array of shape {tuple(shape)} {dtype}; reduce the size"
