"""``data.augment`` of a config: a list of transform entries, built and checked
against the data's sample shape, every mistake one line naming the entry.

    augment:
      - {RandomCrop: {size: 32, padding: 4}}   # a mapping of arguments
      - RandomFlip                             # a name: the defaults
      - {RandomShift: 1}                       # one value: the first argument (when it is required)
"""
import inspect

from ..builders.arguments import call, check_args, check_missing, lookup
from ..config import ConfigError
from .base import TRANSFORMS
from .pipeline import Augment


def _entry(entry, path):
    """(name, args, kwargs) of one entry."""
    if isinstance(entry, str):
        return entry, (), {}
    if isinstance(entry, dict) and len(entry) == 1 and isinstance(next(iter(entry)), str):
        (name, value), = entry.items()
        if value is None:
            return name, (), {}
        if isinstance(value, dict):
            return name, (), dict(value)
        return name, tuple(value) if isinstance(value, list) else (value,), {}
    raise ConfigError(f"a transform entry is a name (RandomFlip) or a one-key mapping "
                      f"({{RandomCrop: {{size: 32, padding: 4}}}}); got {entry!r}", path)


def build_augment(entries, sample_shape=None, path=("data", "augment")):
    """The Augment of a config's ``data.augment`` list (checked against ``sample_shape``)."""
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ConfigError(f"expected a list of transforms, got {entries!r}", path)
    transforms = []
    for i, entry in enumerate(entries):
        name, args, kwargs = _entry(entry, path + (i,))
        here = path + (i, name)
        cls = lookup(TRANSFORMS, name, path + (i,))
        params = check_args(cls, kwargs, here)
        free = [n for n, p in params.items() if n not in kwargs and p.kind in (p.POSITIONAL_OR_KEYWORD,)]
        if len(args) > len(free):
            raise ConfigError(f"got {len(args)} values {list(args)!r} for {len(free)} argument(s) "
                              f"({', '.join(free) or 'none'})", here)
        if args and not isinstance(entry[name], list) and params[free[0]].default is not inspect.Parameter.empty:
            raise ConfigError(f"a single value would set {free[0]} (default {params[free[0]].default!r}); write "
                              f"{{{name}: {{{free[0]}: {args[0]!r}}}}} if that is meant", here)
        kwargs.update(zip(free, args))
        check_args(cls, kwargs, here)
        check_missing(params, kwargs, here)
        t = call(cls, (), kwargs, here, name)
        if sample_shape is not None:
            try:
                t.check(tuple(sample_shape))
            except ValueError as e:
                raise ConfigError(f"{str(e).removeprefix(name + ': ')} (the data's samples are "
                                  f"{tuple(sample_shape)})", here) from None
        transforms.append(t)
    return Augment(transforms)
