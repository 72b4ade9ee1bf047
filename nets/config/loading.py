"""Reading a config end to end (file, YAML, ``--set`` overrides, schema) and
the hash that identifies what a config trains."""
import copy
import hashlib
import json

from .errors import ConfigError
from .overrides import apply_set
from .source import Source
from .validate import normalize, require_mapping
from .yaml_text import parse_yaml


def load(path, sets=(), text=None, flagged=(), problems=None) -> tuple:
    """Read a config file, apply ``--set`` overrides and validate the schema.
    Returns (config dict, Source). Raises ConfigError already placed (file:line),
    every mistake of the schema at once (ConfigErrors); with ``problems``
    (nets.config.problems) the schema's mistakes are left there, unplaced, for
    the builders to add theirs and ``source.placing()`` to raise them all.
    ``text``: the config's YAML instead of reading ``path`` (which then only names it);
    ``flagged``: further overrides (flag, KEY=VALUE, label) applied after ``sets``, an error
    placed at ``label`` (e.g. ``kubik sweep``'s ("--param", "optimizer.lr=0.01",
    "--param optimizer.lr=loguniform(1e-4, 1e-1)"))."""
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
    with source.placing():
        if raw is not None:
            require_mapping(raw)
        raw = {} if raw is None and sets else raw
        for s in sets:
            source.overrides.append((apply_set(raw, s), f"--set {s}"))
        for flag, s, label in flagged:
            source.overrides.append((apply_set(raw, s, flag), label or f"{flag} {s}"))
        return normalize(raw, problems), source


def config_hash(cfg):
    """SHA-256 of everything that determines the trained weights; train.epochs,
    train.out, train.progress, train.monitor and train.log (diagnostics and logs
    never change the weights) and train.threads are left out, so a run can be
    extended, watched or not, and resumed with another thread count; ``imports``
    too (where code comes from, not what it trains), and ``sweep`` (what
    ``kubik sweep`` varies, not what one run trains). An empty ``data.augment``
    (the default) is left out too, so runs from before it existed keep their hash."""
    c = copy.deepcopy(cfg)
    c.pop("imports", None)
    c.pop("sweep", None)
    if isinstance(c.get("data"), dict) and not c["data"].get("augment"):
        c["data"].pop("augment", None)
    for k in ("epochs", "out", "progress", "monitor", "threads", "log"):
        c.get("train", {}).pop(k, None)
    return hashlib.sha256(json.dumps(c, sort_keys=True, default=str).encode()).hexdigest()[:16]
