"""Build an experiment from a normalized config: the data, the model (with
input sizes inferred from the data's per-sample shape), the loss, the
``Task`` that relates labels to the loss, the optimizer and the schedule.
The pieces are built by nets.builders."""
import os
from dataclasses import dataclass, field

from .. import layers
from ..layers import Layer
from ..layers.runtime.threads import blas_threads_for, resolve_threads, set_num_threads

from .config import ConfigError, Problems, batch_size_of
from .containers.graph import Graph
from .containers.sequential import Sequential
from .builders.task import build_graph_loss, graph_task
from .builders import (CHILD_KEYS, CONTAINERS, LAYER_ARGS, Row, Task, build_layer, build_loss,  # noqa: F401
                       build_model, build_optimizer, build_schedule, check_args, check_model, fill_defaults,
                       loader_args, resolve, summary_table)
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
    warnings: list = field(default_factory=list)    # ConfigErrors that only warn (a graph's unused node)


def loss_and_task(cfg, net, out_shape, num_classes, target_shape):
    """(loss, task) of a config's net with output shape(s) ``out_shape``: a plain loss
    and Task for one output; for a graph with several outputs or a list of losses,
    OutputLosses and a GraphTask."""
    outputs = net.outputs if isinstance(net, Graph) else ["output"]
    loss = build_loss(cfg["loss"], len(outputs))
    if isinstance(net, Graph) and (len(outputs) > 1 or isinstance(cfg["loss"], list)):
        loss = build_graph_loss(cfg["loss"], loss, outputs)
        shapes = out_shape if isinstance(out_shape, list) else [out_shape]
        return loss, graph_task(loss, shapes, num_classes, target_shape)
    if isinstance(loss, list):
        raise ConfigError("a list of losses is for a graph with outputs: [...]; this model has one output",
                          ("loss",))
    if isinstance(net, Graph):
        where = ("model", "outputs")
    else:
        last = len(cfg["model"]) - 1
        where = entry_path(cfg["model"][last], ("model", last))
    return loss, Task(loss, out_shape, num_classes, target_shape, where)


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
    augment = problems.run(_augment, cfg, data) if data is not None else None
    layers.seed(cfg["seed"])
    warnings = []
    net = rows = out_shape = None
    if "model" not in broken:
        if data is not None:
            built = problems.run(build_model, cfg["model"], data.input_shape, data.input_names, warnings, problems)
            net, rows, out_shape = built if built is not None else (None, None, None)
        else:
            check_model(cfg["model"], problems)     # names and arguments, without shapes
    if isinstance(net, Graph) and data.input_names is not None:
        data.select_inputs(net.inputs)          # the data's inputs in the graph's order (mapped by name)
    loss = task = None
    if "loss" not in broken:
        if net is not None:
            both = problems.run(loss_and_task, cfg, net, out_shape, data.num_classes, data.y_train.shape[1:])
            loss, task = both if both is not None else (None, None)
        else:                                   # without the model: the loss's own arguments
            problems.run(build_loss, cfg["loss"], len(cfg["loss"]) if isinstance(cfg["loss"], list) else 1)
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
    exp = Experiment(cfg, data, net, rows, loss, task, opt, sched, augment, warnings)
    net.preprocessing = describe_preprocessing(exp)   # stored in every checkpoint (nets.inference.preprocessing)
    return exp


def _data(cfg):
    """The config's data, prepared (splits, scaling); a text data set records its vocabulary."""
    if cfg["data"]["name"] in CHARACTER_SETS and cfg["data"].get("scale", "none") != "none":
        raise ConfigError(f"the {cfg['data']['name']} data set gives character indices, which must not be "
                          f"scaled: set scale: none", ("data", "scale"))
    data = prepare(cfg["data"], cfg["train"]["val_split"], loader_args(cfg["data"]))
    if isinstance(cfg["data"].get("path"), str):   # the run's config.yaml then works from anywhere
        cfg["data"]["path"] = os.path.abspath(os.path.expanduser(cfg["data"]["path"]))
    if cfg["data"]["name"] in CHARACTER_SETS and data.classes:   # the vocabulary travels in config.yaml and checkpoints
        cfg["data"]["vocab"] = "".join(data.classes)
    return data


def _augment(cfg, data):
    """The training batches' transforms (data.augment), for data of one input array."""
    if cfg["data"].get("augment") and data.input_names is not None:
        raise ConfigError(f"the transforms take one input array; these data have {len(data.input_names)} inputs "
                          f"({', '.join(data.input_names)})", ("data", "augment"))
    return build_augment(cfg["data"].get("augment"), data.input_shape)


def _stand_in():
    """A net of one parameter, to check an optimizer's arguments when the model could not be built."""
    return Sequential(layers.Linear(1, 1, rng=0))


def _stand_in_optimizer():
    """An optimizer with a learning rate, to check a schedule's arguments when the config's failed."""
    from .. import optim
    return optim.SGD(_stand_in().parameters(), lr=0.1)
