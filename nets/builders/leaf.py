"""Building a leaf layer (not a container) from its entry, with the
arguments its input shape determines filled in by ``infer_args``.

The one-value shorthand (``Linear: 10``, ``MaxPool2d: 2``, ``Dropout: 0.2``)
sets the first argument the input shape does not determine, and only when
that argument is required (a size: out_features, out_channels, kernel_size,
...) or is a dropout probability ``p``. Where it would land on an optional
setting (``BatchNorm2d: 8`` would set eps, ``LeakyReLU: 5`` the slope) the
mapping form is required: ``{LeakyReLU: {negative_slope: 0.2}}``.
"""
import inspect

from ..config import ConfigError
from .arguments import call, check_args, check_missing, strip_name
from .entries import input_shapes, prev_text, show_shape

SHORTHAND_OPTIONAL = ("p",)     # optional arguments a single value may still set


def entry_args(value):
    """(args, kwargs) from an entry's value: a mapping, a list or one value."""
    if isinstance(value, dict):
        return (), dict(value)
    if isinstance(value, list):
        return tuple(value), {}
    return ((value,) if value is not None else ()), {}


def _same(a, b):
    as_list = (lambda v: list(v) if isinstance(v, (list, tuple)) else [v])
    return as_list(a) == as_list(b)


def _check_shorthand(name, param, value, inferred, here):
    """ConfigError if a single value would set the optional argument ``param``."""
    if param.default is inspect.Parameter.empty or param.name in SHORTHAND_OPTIONAL:
        return
    known = f" ({', '.join(inferred)} inferred from the input)" if inferred else ""
    raise ConfigError(f"a single value would set {param.name} (default {param.default!r}){known}; write "
                      f"{{{name}: {{{param.name}: {value!r}}}}} if that is meant", here)


def build_leaf(cls, name, value, shape, here, prev):
    """``cls`` built from the entry ``value`` for per-sample input ``shape`` (a list of
    shapes for a layer with several inputs: ``infer_args`` gets one per input).
    Positional values fill the parameters that are not inferred; an explicit
    value of an inferred argument must equal the inferred one."""
    args, kwargs = entry_args(value)
    params = check_args(cls, kwargs, here)
    positional = [n for n, p in params.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_var = any(p.kind is p.VAR_POSITIONAL for p in inspect.signature(cls).parameters.values())
    shapes = input_shapes(shape)
    try:
        inferred = dict(cls.infer_args(*shapes))
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise ConfigError(f"cannot take input of shape {show_shape(shape)} from {prev_text(prev)}: "
                          f"{strip_name(str(e), name)}", here) from None
    if args and not has_var:
        free = [n for n in positional if n not in inferred and n not in kwargs]
        if len(args) > len(free):
            raise ConfigError(f"got {len(args)} positional values {list(args)!r}, but only {len(free)} "
                              f"argument(s) to fill ({', '.join(free) or 'none'})", here)
        if not isinstance(value, (list, dict)) and free:
            _check_shorthand(name, params[free[0]], value, inferred, here)
        kwargs.update(zip(free, args))
        args = ()
        check_args(cls, kwargs, here)
    differs = None
    for key, value_inferred in inferred.items():
        if key not in kwargs:
            kwargs[key] = value_inferred
        elif not _same(kwargs[key], value_inferred) and differs is None:
            differs = ConfigError(f"{key} is {kwargs[key]!r}, but the input from {prev_text(prev)} has shape "
                                  f"{show_shape(shape)}, so {key} must be {value_inferred!r} (or be left out)",
                                  here + (key,))
    if not args:
        check_missing(params, kwargs, here)
    if differs is None:
        return call(cls, args, kwargs, here, name)
    try:        # another value that fits the input too (LayerNorm over the last two axes) is kept
        layer = call(cls, args, kwargs, here, name)
        layer.output_shape(*shapes)
        return layer
    except (ConfigError, ValueError, TypeError, IndexError):
        raise differs from None
