"""A parameter's search space, written as text (``kubik sweep --param
KEY=SPACE`` and the ``params`` of a config's ``sweep:`` section):

    loguniform(a, b)    a number drawn log-uniformly from [a, b], 0 < a < b   (learning rates, decays)
    uniform(a, b)       a number drawn uniformly from [a, b], a < b
    int(a, b)           an integer from a to b, both included, a < b          (widths, kernel sizes)
    choice(x, y, ...)   one of the values listed: numbers, strings, true/false or null

The arguments are read as YAML (``1e-3`` is a number, ``Adam`` a string). A
space that holds no value or only one (``uniform(1, 0.1)``, ``choice()``) is
refused: set a single value with ``--set``. Whether the values fit the key
(an integer for ``train.batch_size``) is checked against the config by
nets.sweep.params, before the first trial.
"""
import math
import re
from dataclasses import dataclass

import yaml

from ..config import ConfigError
from ..config.yaml_text import safe_load
from .backend import optuna

KINDS = ("loguniform", "uniform", "int", "choice")
_FORM = re.compile(r"^\s*([A-Za-z_]\w*)\s*\((.*)\)\s*$", re.S)
_EXAMPLE = "loguniform(1e-4, 1e-1), uniform(0, 0.5), int(16, 256) or choice(16, 32, 64)"


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class Space:
    """One parameter's space: ``kind`` (one of KINDS), ``args`` (bounds or choices), ``text``."""
    kind: str
    args: tuple
    text: str

    @property
    def gives(self):
        """What the space's values are: 'float' (loguniform, uniform), 'int' or 'choice'."""
        return {"loguniform": "float", "uniform": "float"}.get(self.kind, self.kind)

    def candidates(self):
        """Values that stand for the whole space when it is checked against a config:
        both ends of a range (floats for loguniform/uniform), every choice."""
        if self.kind == "choice":
            return list(self.args)
        lo, hi = self.args
        return [float(lo), float(hi)] if self.gives == "float" else [lo, hi]

    def distribution(self):
        """The Optuna distribution of this space."""
        d = optuna().distributions
        if self.kind == "choice":
            return d.CategoricalDistribution(list(self.args))
        lo, hi = self.args
        if self.kind == "int":
            return d.IntDistribution(lo, hi)
        return d.FloatDistribution(float(lo), float(hi), log=self.kind == "loguniform")


def parse_space(text):
    """The ``Space`` written as ``text``; ConfigError (a message, no place) when it is not one."""
    if not isinstance(text, str):
        raise ConfigError(f"expected a space such as {_EXAMPLE}, got {text!r}")
    m = _FORM.match(text)
    if not m or m.group(1) not in KINDS:
        raise ConfigError(f"{text!r} is not a space; expected {_EXAMPLE}")
    kind, inside = m.group(1), m.group(2)
    try:
        args = safe_load(f"[{inside}]")
    except (yaml.YAMLError, ConfigError):
        raise ConfigError(f"{text!r}: its arguments are not a list of values") from None
    if kind == "choice":
        return Space(kind, _choices(text, args), text.strip())
    if len(args) != 2:
        raise ConfigError(f"{text!r}: {kind} takes two bounds, low and high, got {len(args)} values")
    lo, hi = args
    want = "integers" if kind == "int" else "numbers"
    ok = (lambda v: isinstance(v, int) and not isinstance(v, bool)) if kind == "int" else _number
    if not (ok(lo) and ok(hi)):
        raise ConfigError(f"{text!r}: the bounds of {kind} must be {want}, got {lo!r} and {hi!r}")
    if not lo < hi:
        raise ConfigError(f"{text!r}: an empty space: the low bound must be below the high one "
                          f"(a single value is set with --set)")
    if kind == "loguniform" and lo <= 0:
        raise ConfigError(f"{text!r}: loguniform needs bounds above 0, got {lo!r}")
    return Space(kind, (lo, hi), text.strip())


def _choices(text, args):
    if not args:
        raise ConfigError(f"{text!r}: an empty space: choice lists no value")
    for v in args:
        if not (v is None or isinstance(v, (bool, str)) or _number(v)):
            raise ConfigError(f"{text!r}: a choice must be a number, a string, true/false or null, got {v!r}")
    if len(set(map(repr, args))) < len(args):
        raise ConfigError(f"{text!r}: a value is listed twice")
    if len(args) == 1:
        raise ConfigError(f"{text!r}: an empty space: a single value (set it with --set)")
    return tuple(args)
