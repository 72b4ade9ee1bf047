"""Resolving a config: the named loader's, loss's, optimizer's and schedule's
arguments checked against their signatures and their defaults written in, so
that the config.yaml of a run says everything that made it."""
import inspect

from ... import losses
from ... import optim

from ..config import ConfigError, Problems
from ..datasets import DATASETS, SPLIT_KEYS, TARGET_INPUT, loader_kwargs
from .arguments import check_args, check_complete, lookup, section_kwargs

# section -> (registry, signature parameters the config does not give)
NAMED = {"loss": (losses.LOSSES, ()), "optimizer": (optim.OPTIMIZERS, ("params",)),
         "schedule": (optim.SCHEDULES, ("optimizer",))}
NOT_ARGUMENTS = ("name", "no_decay", "interval", "output", "weight")


def loader_args(data_section):
    """The loader's own arguments from a normalized ``data`` section, checked
    against its signature."""
    loader = lookup(DATASETS, data_section["name"], ("data", "name"))
    args = loader_kwargs(data_section)
    if "target" in args and "target" not in inspect.signature(loader).parameters:
        raise ConfigError(f"the {data_section['name']} data set has no target argument; target: {TARGET_INPUT} "
                          f"makes the input its own target (an autoencoder), got {args['target']!r}",
                          ("data", "target"))
    check_complete(loader, args, ("data",), skip=("rng",), also=SPLIT_KEYS, every=True)
    return args


def _representable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    return isinstance(v, (list, tuple)) and all(_representable(x) for x in v)


def fill_defaults(section, target, skip=()):
    """Add ``target``'s signature defaults that ``section`` leaves out (plain
    values only), so the resolved config written to a run says everything."""
    for name, p in inspect.signature(target).parameters.items():
        if name in skip or name in section or p.default is p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if _representable(p.default):
            section[name] = list(p.default) if isinstance(p.default, tuple) else p.default


def _resolve_named(section, path, registry, skip):
    cls = lookup(registry, section["name"], path + ("name",))
    check_args(cls, section_kwargs(section, NOT_ARGUMENTS), path, skip=skip, every=True)
    fill_defaults(section, cls, skip)


def _resolve_data(data):
    loader_args(data)
    fill_defaults(data, DATASETS.get(data["name"]), ("rng",))


def resolve(cfg, problems=None):
    """Fill the defaults of the named loader, loss, optimizer and schedule into
    ``cfg`` in place (after checking the given arguments); returns cfg. With
    ``problems`` (nets.config.problems) each section's mistakes are recorded there
    and the section marked broken; otherwise the first is raised."""
    own = Problems() if problems is None else problems
    if "data" not in own.broken:
        with own.check("data"):
            _resolve_data(cfg["data"])
    for key, (registry, skip) in NAMED.items():
        if cfg[key] is None or key in own.broken:
            continue
        sections = cfg[key] if isinstance(cfg[key], list) else [cfg[key]]     # a graph's list of losses
        for i, section in enumerate(sections):
            if section is None:
                continue
            path = (key, i) if isinstance(cfg[key], list) else (key,)
            with own.check(key):
                _resolve_named(section, path, registry, skip)
    if problems is None:
        own.raise_all()
    return cfg
