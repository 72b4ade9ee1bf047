"""Training an experiment built from a config (nets.build.Experiment): its
settings (the ``train`` section; a bad value is a ConfigError naming the
entry), its training DataLoader (order and ``data.augment`` transforms seeded
by ``seed``, the generator a checkpoint calls "data"), its validation split, and
the callbacks its ``train.log`` (TensorBoard) and ``train.monitor`` (Diagnostics)
ask for."""
import numpy as np

from ..config import ConfigError, batch_size_of, config_hash
from .dataloader import DataLoader
from ..diagnostics import Diagnostics
from .settings import check_settings, from_config
from .tensorboard import TensorBoard

# where a setting lives in a config, for errors of a YAML run
_CONFIG_KEYS = {"clip_norm": ("train", "clip_norm"), "clip_value": ("train", "clip_value"),
                "early_stopping.min_delta": ("train", "early_stopping", "min_delta"),
                "early_stopping": ("train", "early_stopping"),
                "checkpoint_every": ("train", "checkpoint", "every_steps"),
                "monitor": ("train", "checkpoint", "monitor"), "schedule_interval": ("schedule", "interval")}


def _settings_of_config(cfg, progress):
    settings = from_config(cfg)
    if progress is not None:
        settings["progress"] = progress
    try:
        return check_settings(**settings)
    except ValueError as e:
        text = str(e).removeprefix("Trainer: ")
        name = text.split(" ")[0]
        path = _CONFIG_KEYS.get(name, ("train", *name.split(".")))
        raise ConfigError(text.removeprefix(name + " ").strip(), path) from None


class FromExperiment:
    """The ``Trainer`` constructor for a config's experiment."""

    @classmethod
    def from_experiment(cls, exp, run_dir, progress=None, log=print, callbacks=()):
        """The trainer of a config's experiment (nets.build.Experiment): the config's settings, its
        training DataLoader (order seeded by ``seed``) and validation split; ``fit()`` takes no data."""
        self = cls.__new__(cls)
        self._init_experiment(exp, run_dir, progress, log, callbacks)
        return self

    def _init_experiment(self, exp, run_dir, progress, log, callbacks):
        cfg, d = exp.config, exp.data
        settings = _settings_of_config(cfg, progress)
        sinks = []
        if "tensorboard" in cfg["train"].get("log", ()) and run_dir is not None:
            try:
                sinks.append(TensorBoard())
            except ImportError as e:
                raise ConfigError(str(e), ("train", "log")) from None
            callbacks = [*callbacks, *sinks]
        if (cfg["train"].get("monitor") or {}).get("every_steps") and run_dir is not None:
            callbacks = [*callbacks, Diagnostics.from_config(exp, run_dir, sinks)]
        self._setup(exp.net, exp.loss, exp.optimizer, exp.schedule, settings, run_dir, exp.task, cfg,
                    config_hash(cfg), log, callbacks)
        t, n = cfg["train"], len(d.X_train)
        bs = batch_size_of(t, n)
        if t["drop_last"] and n < bs:
            raise ConfigError(f"{bs} is larger than the {n} training samples, and drop_last is on",
                              ("train", "batch_size"))
        self.exp = exp
        self.train_data = DataLoader(d.X_train, d.y_train, bs, t["shuffle"], t["drop_last"],
                                     rng=np.random.default_rng([int(cfg["seed"]), 7]), augment=exp.augment)
        self.val_data = (d.X_val, d.y_val)
