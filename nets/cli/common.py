"""What the commands share: exit codes, printing, and loading and building
a config with errors placed at the file line or ``--set`` that caused them."""
from ..build import build
from ..builders import check_experiment
from ..config import load

EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


def out(text=""):
    print(text, flush=True)


def build_experiment(cfg, source):
    """``nets.build.build(cfg)`` and ``check_experiment``, a ConfigError placed with ``source``."""
    with source.placing():
        exp = build(cfg)
        check_experiment(exp)
        return exp


def load_and_build(config_path, sets):
    """(config, Source, Experiment) for a config file and its ``--set`` overrides."""
    cfg, source = load(config_path, sets)
    return cfg, source, build_experiment(cfg, source)
