"""The config every trial of a sweep starts from, and a trial's config made
from it with the ``--set`` machinery.

The base is the user's config with its ``--set`` overrides, resolved (defaults
written in, imports and data paths absolute) and made fit for unattended runs:
no ``sweep`` section, no progress bars, best.npz kept by the sweep's metric
when it is a validation metric, and its own thread setting (resolved counts are
chosen again per trial). It is written to the sweep folder as base.yaml, so a
rerun trains what the first run did even if the original file changed.

A trial's config is the base with each parameter's value applied as
``--param KEY=VALUE`` (placed errors name the parameter) and its seed.
"""
import copy
import json
from dataclasses import dataclass
from pathlib import Path

from ..config import dump, load
from ..trainer.settings import MONITORS


def base_config(cfg, metric, threads):
    """The resolved config ``cfg`` (built) as a sweep's base: a new dict."""
    base = copy.deepcopy(cfg)
    base.pop("sweep", None)
    base["train"]["progress"] = False
    base["train"]["threads"] = threads
    if metric in MONITORS:
        base["train"]["checkpoint"]["monitor"] = metric
    return base


@dataclass
class Base:
    """The base config as YAML ``text``; ``name`` (the config file, or the sweep's base.yaml)
    places errors; ``folder``: the original config's folder, where its imports are looked for."""
    name: str
    text: str
    folder: str

    @classmethod
    def of(cls, cfg, config_path):
        """The Base of a config dict made from the config file ``config_path``."""
        return cls(str(config_path), dump(cfg), str(Path(config_path).resolve().parent))

    def config(self, values, labels=None, sets=()):
        """(normalized config, Source) of the base with ``values`` {key: value} applied as
        ``--param key=value`` (an error placed at ``labels[key]`` when given) and then ``sets``."""
        labels = labels or {}
        flagged = [("--param", f"{key}={json.dumps(value)}", labels.get(key)) for key, value in values.items()]
        flagged += [("--set", s, None) for s in sets]
        return load(self.name, text=self.text, flagged=flagged)
