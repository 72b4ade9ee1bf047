"""What the commands share: exit codes, printing, and loading and building
a config with errors placed at the file line or ``--set`` that caused them."""
from ..build import build
from ..config import load

EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


def out(text=""):
    print(text, flush=True)


def build_experiment(cfg, source):
    """``nets.build.build(cfg)``, a ConfigError placed with ``source``."""
    with source.placing():
        return build(cfg)


def load_and_build(config_path, sets):
    """(config, Source, Experiment) for a config file and its ``--set`` overrides."""
    cfg, source = load(config_path, sets)
    return cfg, source, build_experiment(cfg, source)
