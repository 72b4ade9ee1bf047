"""What the commands share: exit codes, printing, and loading and building
a config with errors placed at the file line or ``--set`` that caused them."""
import sys
from pathlib import Path

from ..build import build
from ..builders import check_experiment
from ..config import ConfigError, ConfigErrors, Problems, load
from ..imports import apply_imports

EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


def out(text=""):
    print(text, flush=True)


def build_experiment(cfg, source, data=None, problems=None):
    """``nets.build.build(cfg, data)`` and ``check_experiment``, a ConfigError placed with ``source``
    (with every mistake in ``problems`` found before: nets.config.problems)."""
    with source.placing():
        exp = build(cfg, data, problems=problems)
        check_experiment(exp)
    for w in exp.warnings:          # e.g. a graph node whose output nothing uses: one placed line each
        print(f"{source.where(w.path)}: warning: {w}", file=sys.stderr, flush=True)
    return exp


def import_code(cfg, source, base, extra=()):
    """Import the config's ``imports`` (errors placed at their entry) and the
    ``--import`` modules ``extra``; records them all in ``cfg['imports']``."""
    base_cfg = {"imports": []}
    apply_imports(base_cfg, base, extra)            # the flags first: they may supply what the config names
    with source.placing():
        apply_imports(cfg, base)
    cfg["imports"] = list(dict.fromkeys(cfg["imports"] + base_cfg["imports"]))


def load_and_build(config_path, sets, imports=()):
    """(config, Source, Experiment) for a config file, its ``--set`` overrides
    and ``--import`` modules."""
    problems = Problems()                          # every mistake of the config in one run
    cfg, source = load(config_path, sets, problems=problems)
    try:
        if "imports" in problems.broken:
            raise ConfigErrors([])
        import_code(cfg, source, Path(config_path).parent, imports)
    except ConfigError as e:          # without the user's code its layers are unknown: stop here
        placed = [ConfigError(source.format(x)) for x in problems.errors]
        extra = e.errors if isinstance(e, ConfigErrors) else [e]
        raise (ConfigErrors(placed + extra) if len(placed + extra) > 1 else (placed + extra)[0]) from None
    return cfg, source, build_experiment(cfg, source, problems=problems)
