"""Build an experiment from a normalized config: the data, the model (with
input sizes inferred from the data's per-sample shape), the loss, the
``Task`` that relates labels to the loss, the optimizer and the schedule.
The pieces are built by nets.builders."""
import os
from dataclasses import dataclass

from .. import layers
from ..layers import Layer
from ..layers.runtime.threads import blas_threads_for, resolve_threads, set_num_threads

from .config import ConfigError, Problems, batch_size_of
from .builders import (CHILD_KEYS, CONTAINERS, LAYER_ARGS, Row, Task, build_layer, build_loss,  # noqa: F401
                       build_model, build_optimizer, build_schedule, check_args, check_model, fill_defaults,
                       loader_args, resolve, summary_table)
from .containers.sequential import Sequential as nets_sequential
from .builders.entries import entry_path
from .datasets import prepare
from .inference.preprocessing import describe as describe_preprocessing


@dataclass
class Experiment:
    """Everything built from one config."""
    config: dict
    data: object
    net: Layer
    rows: list
    loss: object
    task: Task
    optimizer: object
    schedule: object


def build(cfg: dict, data=None, problems=None) -> "Experiment":
    """Data, model, loss, task, optimizer and schedule from a normalized config.
    Seeds the package generator with ``cfg['seed']`` before building the model.
    Every mistake is reported (nets.config.problems): each piece is checked on its
    own, and a piece that needs a failed one is skipped, not reported again; with
    ``problems`` the mistakes found before (the schema's) are raised with these."""
    problems = Problems() if problems is None else problems
    broken = problems.broken
    resolve(cfg, problems)
    if data is None and "data" not in broken:
        data = problems.run(_data, cfg)
    layers.seed(cfg["seed"])
    net = rows = out_shape = None
    if "model" not in broken:
        if data is not None:
            built = problems.run(build_model, cfg["model"], data.input_shape, problems)
            net, rows, out_shape = built if built is not None else (None, None, None)
        else:
            check_model(cfg["model"], problems)     # names and arguments, without shapes
    loss = problems.run(build_loss, cfg["loss"]) if "loss" not in broken else None
    task = None
    if net is not None and loss is not None:
        last = len(cfg["model"]) - 1
        where = entry_path(cfg["model"][last], ("model", last))
        task = problems.run(Task, loss, out_shape, data.num_classes, data.y_train.shape[1:], where)
    if net is not None:
        threads = resolve_threads(cfg["train"]["threads"], net.num_parameters())
        blas = blas_threads_for(net, threads, data.input_shape, batch_size_of(cfg["train"], len(data.X_train)))
        cfg["train"]["threads"] = set_num_threads(threads, blas=blas)
        net.flatten_parameters()  # fused optimizer updates over one flat buffer (layers/runtime/flat.py)
    opt = sched = None
    if "optimizer" not in broken:      # without a net its arguments are checked on a stand-in parameter
        opt = problems.run(build_optimizer, cfg["optimizer"], net if net is not None else _stand_in())
    if cfg["schedule"] is not None and "schedule" not in broken:
        sched = problems.run(build_schedule, cfg["schedule"], opt if opt is not None else _stand_in_optimizer())
    problems.raise_all()
    exp = Experiment(cfg, data, net, rows, loss, task, opt, sched)
    net.preprocessing = describe_preprocessing(exp)   # stored in every checkpoint (nets.inference.preprocessing)
    return exp


def _data(cfg):
    """The config's data, prepared (splits, scaling); a text data set records its vocabulary."""
    if cfg["data"]["name"] == "text" and cfg["data"].get("scale", "none") != "none":
        raise ConfigError("the text data set gives character indices, which must not be scaled: "
                          "set scale: none", ("data", "scale"))
    data = prepare(cfg["data"], cfg["train"]["val_split"], loader_args(cfg["data"]))
    if isinstance(cfg["data"].get("path"), str):   # the run's config.yaml then works from anywhere
        cfg["data"]["path"] = os.path.abspath(os.path.expanduser(cfg["data"]["path"]))
    if cfg["data"]["name"] == "text" and data.classes:   # the vocabulary travels in config.yaml and checkpoints
        cfg["data"]["vocab"] = "".join(data.classes)
    return data


def _stand_in():
    """A net of one parameter, to check an optimizer's arguments when the model could not be built."""
    return nets_sequential(layers.Linear(1, 1, rng=0))


def _stand_in_optimizer():
    """An optimizer with a learning rate, to check a schedule's arguments when the config's failed."""
    from .. import optim
    return optim.SGD(_stand_in().parameters(), lr=0.1)
