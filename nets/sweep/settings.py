"""A sweep's settings: the config's ``sweep:`` section (keys in
nets.config.schema.SWEEP) with the command line on top (``--param`` adds to or
replaces the section's params key by key; ``--trials``, ``--metric`` and the
others replace its entries), checked. A mistake in the section is placed at
its line; one on the command line names the flag.

    METRICS      what a trial can be judged by (columns of metrics.csv)
    Settings     the checked settings of one sweep
    settings     Settings from the section and the command line
    default_out  <train.out>/<config name>, '-sweep' added unless the name says sweep
"""
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ConfigError
from ..config.schema import SWEEP
from ..config.validate import named_section
from .space import parse_space

METRICS = ("val_loss", "val_accuracy", "train_loss")
DIRECTIONS = {"min": "minimize", "minimize": "minimize", "max": "maximize", "maximize": "maximize"}
SEEDS = ("vary", "fixed")


@dataclass
class Settings:
    """What ``kubik sweep`` runs: ``params`` {key: Space} in order, the study and where it lives."""
    params: dict
    trials: int
    jobs: int
    metric: str
    direction: str          # "minimize" or "maximize"
    study: str
    storage: str            # None: sqlite:///<out>/study.db
    out: Path
    pruner: dict            # {name: ..., args} or None
    sampler: dict
    sampler_seed: int
    seeds: str              # "vary" or "fixed"
    sources: dict = field(default_factory=dict)    # key -> where its space was given ("--param ..." or a line)

    def describe(self):
        """The settings as plain data (sweep.yaml records them)."""
        return {"params": {k: s.text for k, s in self.params.items()}, "metric": self.metric,
                "direction": self.direction, "study": self.study, "pruner": self.pruner, "sampler": self.sampler,
                "sampler_seed": self.sampler_seed, "seeds": self.seeds}


def default_out(cfg, config_path):
    """The sweep folder a config gets when neither --out nor sweep.out names one."""
    stem = Path(config_path).stem
    return Path(cfg["train"]["out"]) / (stem if "sweep" in stem else f"{stem}-sweep")


def _params(section, cli, source):
    spaces, sources = {}, {}
    for key, text in section.items():
        where = source.where(("sweep", "params", key))
        if not isinstance(key, str):
            raise ConfigError(f"{where}: sweep.params: a key must be a --set path such as optimizer.lr, got {key!r}")
        try:
            spaces[key] = parse_space(text)
        except ConfigError as e:
            raise ConfigError(f"{where}: sweep.params.{key}: {e.message}") from None
        sources[key] = where
    for item in cli:
        key, eq, text = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--param {item!r}: expected KEY=SPACE, e.g. --param optimizer.lr=loguniform(1e-4, 1e-1)")
        key = key.strip()
        try:
            spaces[key] = parse_space(text)
        except ConfigError as e:
            raise ConfigError(f"--param {item}: {e.message}") from None
        sources[key] = f"--param {key}={text.strip()}"
    if not spaces:
        raise ConfigError("kubik sweep: no parameter to vary: give --param KEY=SPACE (e.g. --param "
                          "optimizer.lr=loguniform(1e-4, 1e-1)) or a sweep.params section in the config")
    return spaces, sources


def _flag_or(section, args, key, flag):
    value = getattr(args, key, None)
    return (value, flag) if value is not None else (section[key], None)


def _at_least(value, low, flag, key, source):
    if value < low:
        where = f"kubik sweep {flag}" if flag else f"{source.where(('sweep', key))}: sweep.{key}"
        raise ConfigError(f"{where}: must be >= {low}, got {value}")


def settings(cfg, config_path, args, source):
    """Settings of a normalized config (its ``sweep`` section, may be absent) and the
    parsed command line ``args`` (attributes param, trials, jobs, metric, direction, study,
    storage, out, no_prune, sampler_seed: None where not given)."""
    section = cfg.get("sweep") or {key: v[0] for key, v in SWEEP.items()}
    spaces, sources = _params(section["params"], args.param or (), source)
    trials, tflag = _flag_or(section, args, "trials", "--trials")
    jobs, jflag = _flag_or(section, args, "jobs", "--jobs")
    _at_least(trials, 1, tflag, "trials", source)
    _at_least(jobs, 1, jflag, "jobs", source)
    metric, mflag = _flag_or(section, args, "metric", "--metric")
    if metric not in METRICS:
        where = "kubik sweep --metric" if mflag else f"{source.where(('sweep', 'metric'))}: sweep.metric"
        raise ConfigError(f"{where}: unknown metric {metric!r}; known: {', '.join(METRICS)}")
    direction, dflag = _flag_or(section, args, "direction", "--direction")
    if direction is None:
        direction = "max" if metric.endswith("accuracy") else "min"
    elif direction not in DIRECTIONS:
        where = "kubik sweep --direction" if dflag else f"{source.where(('sweep', 'direction'))}: sweep.direction"
        raise ConfigError(f"{where}: must be min or max, got {direction!r}")
    if section["seeds"] not in SEEDS:
        raise ConfigError(f"{source.where(('sweep', 'seeds'))}: sweep.seeds: must be vary or fixed, "
                          f"got {section['seeds']!r}")
    with source.placing():
        pruner = None if section["pruner"] in (None, "none") or args.no_prune else \
            named_section(section["pruner"], ("sweep", "pruner"))
        sampler = named_section(section["sampler"], ("sweep", "sampler"))
    out = _flag_or(section, args, "out", "--out")[0]
    seed, sflag = _flag_or(section, args, "sampler_seed", "--sampler-seed")
    if seed is not None:
        _at_least(seed, 0, sflag, "sampler_seed", source)
    return Settings(spaces, trials, jobs, metric, DIRECTIONS[direction],
                    _flag_or(section, args, "study", "--study")[0] or Path(config_path).stem,
                    _flag_or(section, args, "storage", "--storage")[0],
                    Path(out) if out else default_out(cfg, config_path), pruner, sampler,
                    cfg["seed"] if seed is None else seed, section["seeds"], sources)

