"""``kubik sweep CONFIG [--param KEY=SPACE ...] [--trials N] [--jobs J] [--storage URL]
[--study NAME] [--direction min|max] [--metric M] [--out DIR] [--no-prune]``: a
hyperparameter sweep on Optuna (nets.sweep; the [sweep] extra). The same
settings can live in the config's ``sweep:`` section; the command line wins.
Running the same command again continues the sweep, and so does ``kubik sweep
DIR``; ``kubik sweep DIR --report`` prints the table of trials and writes
best.yaml. Exit codes: 0, 1 (trials kept failing), 2 (a mistake, nothing
written), 130 (Ctrl-C: the running trials are marked failed; rerun to go on).
"""
from pathlib import Path

from .common import EXIT_FAILED, EXIT_INTERRUPTED, out
from .parser import UsageError

_CONFIG_ONLY = ("param", "set", "imports", "metric", "direction", "study", "out", "no_prune", "sampler_seed")


def _check_counts(args):
    for flag in ("trials", "jobs"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise UsageError(f"kubik sweep --{flag}: must be >= 1, got {value}")


def cmd_sweep(args):
    from .. import sweep
    _check_counts(args)
    target = Path(args.config)
    if target.is_dir():
        given = [f"--{n.replace('_', '-').replace('imports', 'import')}" for n in _CONFIG_ONLY if getattr(args, n)]
        if given:
            raise UsageError(f"kubik sweep {target}: a sweep folder continues the sweep it records; {given[0]} goes "
                             f"with a CONFIG (only --trials, --jobs, --storage and --report go with a folder)")
        if args.report:
            sweep.report(target, storage=args.storage, log=out)
            return 0
        result = sweep.resume(target, trials=args.trials, jobs=args.jobs, storage=args.storage, log=out)
    else:
        if args.report:
            raise UsageError(f"kubik sweep --report: give the sweep folder (e.g. runs/{target.stem}-sweep), "
                             f"not '{target}'")
        result = sweep.run(target, None, sets=args.set, imports=args.imports, trials=args.trials, jobs=args.jobs,
                           metric=args.metric, direction=args.direction, study=args.study, storage=args.storage,
                           out=args.out, prune=not args.no_prune, sampler_seed=args.sampler_seed, log=out,
                           cli_params=args.param)
    if result.status == "interrupted":
        out(f"interrupted; continue with: kubik sweep {result.out}")
        return EXIT_INTERRUPTED
    if result.status == "gave_up":
        out(f"stopped: trials kept failing (see the report above and the trials' trial.yaml); fix the config "
            f"and continue with: kubik sweep {result.out}")
        return EXIT_FAILED
    return 0
