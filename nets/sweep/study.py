"""The Optuna study of a sweep: created on the first run, continued on the
next ones (and by other machines on the same storage), with its sampler and
pruner built from the sweep's settings.

    sweep:
      sampler: TPESampler                       # or RandomSampler, QMCSampler; {name: ..., args}
      sampler_seed: 0                           # default: the config's seed
      pruner: {name: MedianPruner, n_startup_trials: 5, n_warmup_steps: 3}   # null: no pruning

A study records what it optimizes (user attribute ``kubik``: metric and
parameter spaces); continuing it with another direction, metric or parameters
is refused. Each worker's sampler is seeded from (sampler_seed, trials already
in the study, worker number): a single-process sweep run again from scratch
draws the same trials, and a continued one draws new ones.
"""
import numpy as np

from ..builders.arguments import call, check_args
from ..config import ConfigError
from ..config.errors import unknown
from .backend import SweepError, optuna

SAMPLERS = ("TPESampler", "RandomSampler", "QMCSampler")
PRUNERS = ("MedianPruner", "PercentilePruner", "SuccessiveHalvingPruner", "HyperbandPruner", "ThresholdPruner")


def _named(spec, known, module, path, skip=()):
    name = spec["name"]
    if name not in known:
        raise ConfigError(unknown(path[-1], name, known), path + ("name",))
    cls = getattr(module, name)
    args = {k: v for k, v in spec.items() if k != "name"}
    check_args(cls, args, path, skip=skip)
    return cls, args


def make_sampler(spec, seed):
    """The sampler ``spec`` ({name, args}) names, seeded with ``seed``; ConfigError at sweep.sampler."""
    cls, args = _named(spec, SAMPLERS, optuna().samplers, ("sweep", "sampler"), skip=("seed",))
    return call(cls, (), dict(args, seed=int(seed)), ("sweep", "sampler"), spec["name"])


def make_pruner(spec):
    """The pruner ``spec`` names (None: never prune); ConfigError at sweep.pruner."""
    if spec is None:
        return optuna().pruners.NopPruner()
    cls, args = _named(spec, PRUNERS, optuna().pruners, ("sweep", "pruner"))
    return call(cls, (), args, ("sweep", "pruner"), spec["name"])


def worker_seed(sampler_seed, existing, worker):
    """The sampler seed of worker ``worker`` starting on a study of ``existing`` trials."""
    return int(np.random.SeedSequence([sampler_seed, existing, worker]).generate_state(1)[0])


def identity(settings):
    """What a study records about its sweep (and a continuing one must match)."""
    return {"metric": settings.metric, "params": {k: s.text for k, s in settings.params.items()}}


def check_study(storage, settings, shown_url):
    """SweepError if the study already exists in ``storage`` with another direction, metric or
    parameters; returns its number of trials (0 when it does not exist yet)."""
    try:
        study_id = storage.get_study_id_from_name(settings.study)
    except KeyError:
        return 0
    direction = storage.get_study_directions(study_id)
    have = [d.name.lower() for d in direction]
    where = f"the study {settings.study!r} in {shown_url}"
    if have != [settings.direction]:
        raise SweepError(f"{where} exists with direction {'/'.join(have)}; this sweep would {settings.direction} "
                         f"{settings.metric} (give --study NAME for a new study, or --direction to match)")
    recorded = storage.get_study_user_attrs(study_id).get("kubik")
    mine = identity(settings)
    if recorded is not None and recorded != mine:
        if recorded.get("metric") != mine["metric"]:
            other = f"the metric {recorded.get('metric')}"
        else:
            other = "the parameters " + ", ".join(f"{k}={v}" for k, v in (recorded.get("params") or {}).items())
        raise SweepError(f"{where} is a sweep of {other}; give --study NAME for a new study")
    return len(storage.get_all_trials(study_id, deepcopy=False))


def open_study(storage, settings, sampler_seed):
    """The study (created if new), its sampler seeded with ``sampler_seed``."""
    opt = optuna()
    study = opt.create_study(storage=storage, study_name=settings.study, direction=settings.direction,
                             sampler=make_sampler(settings.sampler, sampler_seed),
                             pruner=make_pruner(settings.pruner), load_if_exists=True)
    if "kubik" not in study.user_attrs:
        study.set_user_attr("kubik", identity(settings))
    return study


def check_settings_build(settings):
    """Build the sampler and pruner once (ConfigError at sweep.sampler / sweep.pruner)."""
    make_sampler(settings.sampler, 0)
    make_pruner(settings.pruner)

