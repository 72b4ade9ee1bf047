"""``run``: a whole sweep, as ``kubik sweep`` runs it, callable from Python:

    from kubik.nets import sweep
    result = sweep.run("configs/digits_mlp.yaml", {"optimizer.lr": "loguniform(1e-3, 0.3)"},
                       trials=20, out="runs/lr-sweep")
    result.best["params"], result.best["value"]

Everything is checked before anything is written: the config and its
``--set``s, the sweep settings, every parameter against the config
(nets.sweep.params), the storage and the study's direction, the folder. Then
the folder gets base.yaml and sweep.yaml, stale trials are marked failed, the
workers train until the study holds ``trials`` finished ones, and the report
is printed (best.yaml written). ``resume(out)`` continues the sweep in a
folder; ``report(out)`` prints its report again; ``trials(out)`` gives its
trials as data.
"""
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from ..cli.common import build_experiment, import_code
from ..config import load
from . import folder
from .backend import SweepError
from .base import Base, base_config
from .params import check_metric, check_params
from .report import load_study, records, report as print_report
from .settings import settings as make_settings
from .stale import fail_stale
from .storage import default_url, open_storage, shown
from .study import check_settings_build, check_study, open_study, worker_seed
from .trial import Context
from .workers import spawn, taken, work


@dataclass
class Result:
    """How a sweep ended: ``status`` finished, interrupted or gave_up (trials kept failing);
    ``best``: the best trial's record (report.records) or None; ``out``: the sweep folder."""
    status: str
    out: Path
    study: str
    best: dict = None


def _args(params, cli_params, **flags):
    return SimpleNamespace(param=[f"{k}={v}" for k, v in (params or {}).items()] + list(cli_params), **flags)


def run(config, params=None, *, sets=(), imports=(), trials=None, jobs=None, metric=None, direction=None,
        study=None, storage=None, out=None, prune=True, sampler_seed=None, log=print, cli_params=()):
    """Run (or continue) the sweep of ``config`` over ``params`` {key: space text}, given on top
    of the config's ``sweep:`` section; returns a Result. ConfigError / SweepError for bad input,
    raised before anything is written. ``cli_params``: "KEY=SPACE" texts (``--param``)."""
    cfg, source = load(config, list(sets))
    import_code(cfg, source, Path(config).parent, imports)
    args = _args(params, cli_params, trials=trials, jobs=jobs, metric=metric, direction=direction, study=study,
                 storage=storage, out=out, no_prune=not prune, sampler_seed=sampler_seed)
    s = make_settings(cfg, config, args, source)
    with source.placing():
        check_settings_build(s)
    threads = cfg["train"]["threads"]
    exp = build_experiment(cfg, source)
    check_metric(s, exp)
    base = Base.of(base_config(exp.config, s.metric, threads), config)
    check_params(base, s, exp)
    url = s.storage or default_url(s.out)
    record = folder.record_of(s, config, shown(s.storage) if s.storage else None)
    folder.check_folder(s.out, base, record)
    store, existing = None, 0
    if s.storage or (Path(s.out) / "study.db").exists():
        store = open_storage(url)
        existing = check_study(store, s, shown(url))
    _study_present(s, url, existing)
    folder.write(s.out, base, record)
    return _execute(base, s, store or open_storage(url), url, existing, log)


def resume(out, *, trials=None, jobs=None, storage=None, log=print):
    """Continue the sweep in folder ``out`` (``trials``, ``jobs``: new goals); returns a Result."""
    base, s = folder.read(out, storage, trials, jobs)
    url = s.storage or default_url(s.out)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        _study_present(s, url, 0)         # before opening it creates an empty file
    store = open_storage(url)
    existing = check_study(store, s, shown(url))
    _study_present(s, url, existing)
    if trials or jobs:
        folder.write(s.out, base, dict(folder.read_record(out), trials=s.trials, jobs=s.jobs))
    return _execute(base, s, store, url, existing, log)


def report(out, *, storage=None, log=print):
    """Print the report of the sweep in folder ``out`` and write its best.yaml; returns the best row."""
    base, s = folder.read(out, storage)
    url = s.storage or default_url(s.out)
    return print_report(load_study(s, open_storage(url), shown(url)), base, s, log)


def trials(out, *, storage=None):
    """(records, Settings) of the sweep in folder ``out``: one dict per trial (report.records)."""
    _, s = folder.read(out, storage)
    url = s.storage or default_url(s.out)
    return records(load_study(s, open_storage(url), shown(url)), s), s


def _study_present(s, url, existing):
    """SweepError when the folder has trial folders but the study holds no trial (a removed study.db,
    another --storage): new trials would reuse their numbers."""
    if not existing and any(Path(s.out).glob("trial-*")):
        raise SweepError(f"'{s.out}' holds trials of the study {s.study!r}, which {shown(url)} does not have "
                         f"(was its study.db removed, or does it live in another --storage?)")


def _execute(base, s, store, url, existing, log):
    study = open_study(store, s, worker_seed(s.sampler_seed, existing, 0))
    fail_stale(study, Path(s.out), log)
    have = taken(study)
    log(f"sweep {s.out}: study {s.study!r} in {shown(url)}, {s.direction} {s.metric} over "
        f"{', '.join(s.params)}; {s.trials} trials, {have} taken, {s.jobs} job{'s' if s.jobs > 1 else ''}")
    seed = int(base.config({})[0]["seed"])
    if s.jobs == 1:
        tally = work(Context(base, s, seed, log=log), store, study, s.trials)
        status = "interrupted" if tally["interrupted"] else "gave_up" if tally["gave_up"] else "finished"
    else:
        codes = spawn(Path(s.out), s.jobs, s.trials, url, [worker_seed(s.sampler_seed, existing, i)
                                                           for i in range(s.jobs)])
        status = "interrupted" if 130 in codes else "gave_up" if any(codes) else "finished"
    best = print_report(study, base, s, log)
    return Result(status, Path(s.out), s.study, best)
