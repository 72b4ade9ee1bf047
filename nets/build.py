"""Build an experiment from a normalized config: the data, the model (with
input sizes inferred from the data's per-sample shape), the loss, the
``Task`` that relates labels to the loss, the optimizer and the schedule.
The pieces are built by nets.builders."""
import os
from dataclasses import dataclass

from .. import layers
from ..layers import Layer
from ..layers.runtime.threads import blas_threads_for, resolve_threads, set_num_threads

from .config import ConfigError, batch_size_of
from .builders import (CHILD_KEYS, CONTAINERS, LAYER_ARGS, Row, Task, build_layer, build_loss,  # noqa: F401
                       build_model, build_optimizer, build_schedule, check_args, fill_defaults, loader_args,
                       resolve, summary_table)
from .builders.entries import entry_path
from .augment import build_augment
from .datasets import CHARACTER_SETS, prepare
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
    augment: object = None     # nets.augment.Augment of the training batches (data.augment)


def build(cfg: dict, data=None) -> "Experiment":
    """Data, model, loss, task, optimizer and schedule from a normalized config.
    Seeds the package generator with ``cfg['seed']`` before building the model."""
    resolve(cfg)
    if data is None:
        if cfg["data"]["name"] in CHARACTER_SETS and cfg["data"].get("scale", "none") != "none":
            raise ConfigError(f"the {cfg['data']['name']} data set gives character indices, which must not be "
                              f"scaled: set scale: none", ("data", "scale"))
        data = prepare(cfg["data"], cfg["train"]["val_split"], loader_args(cfg["data"]))
        if isinstance(cfg["data"].get("path"), str):   # the run's config.yaml then works from anywhere
            cfg["data"]["path"] = os.path.abspath(os.path.expanduser(cfg["data"]["path"]))
        if cfg["data"]["name"] in CHARACTER_SETS and data.classes:   # the vocabulary travels in config.yaml and checkpoints
            cfg["data"]["vocab"] = "".join(data.classes)
    augment = build_augment(cfg["data"].get("augment"), data.input_shape)
    layers.seed(cfg["seed"])
    net, rows, out_shape = build_model(cfg["model"], data.input_shape)
    loss = build_loss(cfg["loss"])
    last = len(cfg["model"]) - 1
    where = entry_path(cfg["model"][last], ("model", last))
    task = Task(loss, out_shape, data.num_classes, data.y_train.shape[1:], where)
    threads = resolve_threads(cfg["train"]["threads"], net.num_parameters())
    blas = blas_threads_for(net, threads, data.input_shape, batch_size_of(cfg["train"], len(data.X_train)))
    cfg["train"]["threads"] = set_num_threads(threads, blas=blas)
    net.flatten_parameters()  # fused optimizer updates over one flat buffer (layers/runtime/flat.py)
    opt = build_optimizer(cfg["optimizer"], net)
    sched = build_schedule(cfg["schedule"], opt)
    exp = Experiment(cfg, data, net, rows, loss, task, opt, sched, augment)
    net.preprocessing = describe_preprocessing(exp)   # stored in every checkpoint (nets.inference.preprocessing)
    return exp
