"""Every parameter of a sweep checked against the config before the first
trial, with the errors ``--set`` gives: the key is a path ``--set`` takes
(``optimizer.lr``, ``model[0].Linear.out_features``, ``train.batch_size``) and
every value of its space fits there. A space stands for its values by both
ends of a range or every choice (Space.candidates); each is applied alone to
the base config, which is then validated and built as ``kubik train`` would
(the data set is loaded again only for keys that change it). So
``train.batch_size=uniform(8, 64)`` is refused with "expected an integer,
got 8.0", ``optimizer.lrr=...`` with "unknown argument 'lrr' (did you mean
'lr'?)", and ``model[0].Linear.out_features=int(0, 8)`` with the layer's own
message, each placed at the ``--param`` (or sweep.params line) that gave it.
"""
from ..cli.common import build_experiment
from ..config import ConfigError, parse_set_path

_DATA_KEYS = (("data",), ("train", "val_split"))


def _changes_data(path):
    return any(path[:len(k)] == k for k in _DATA_KEYS)


def check_metric(settings, exp):
    """ConfigError unless a trial of ``exp`` measures the sweep's metric."""
    if settings.metric.startswith("val_") and len(exp.data.X_val) == 0:
        raise ConfigError(f"kubik sweep: the metric {settings.metric} needs validation data, but "
                          f"train.val_split is {exp.config['train']['val_split']} (no validation split)")
    if settings.metric == "val_accuracy" and exp.task.num_classes is None:
        raise ConfigError("kubik sweep: the metric val_accuracy needs a classifier; this model is a regression "
                          "(use val_loss)")


def check_params(base, settings, exp):
    """ConfigError (one line, placed) for the first parameter whose key or values do not
    fit the base config; ``exp``: the base's built experiment (its data is reused)."""
    for key, space in settings.params.items():
        label = settings.sources.get(key, f"--param {key}={space.text}")
        try:
            path = parse_set_path(key, "--param")
        except ConfigError as e:
            raise ConfigError(f"{label}: {e.message}") from None
        if path[0] == "sweep" or path == ("seed",) and settings.seeds == "vary":
            what = "the sweep's own settings" if path[0] == "sweep" else "seed, which the sweep sets per trial " \
                "(set sweep.seeds: fixed to vary it)"
            raise ConfigError(f"{label}: cannot vary {what}")
        for value in space.candidates():
            cfg, source = base.config({key: value}, {key: label})
            build_experiment(cfg, source, None if _changes_data(path) else exp.data)
