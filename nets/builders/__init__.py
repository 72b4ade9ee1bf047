"""Building the pieces of an experiment from a normalized config; nets.build
puts them together.

    arguments   config arguments checked against signatures; calls that report at the entry
    entries     the forms of a model entry; how containers route shapes
    leaf        a leaf layer, its input-dependent arguments inferred
    model       the model (containers included), shape by shape; from_spec: a net from ``net.spec()``
    summary     the summary table (of a config's rows, or summary(net, input_shape))
    task        the loss; Task: labels -> loss targets, outputs -> accuracy
    optimizer   the optimizer and the schedule
    resolve     loader/loss/optimizer/schedule defaults written into the config
    fit         whole-experiment checks before training (loss vs last layer, drop_last)
"""
from .arguments import check_args, lookup
from .entries import CHILD_KEYS, CONTAINERS, LAYER_ARGS, container_flow
from .model import build_layer, build_model, check_entry, check_model, from_spec
from .optimizer import build_optimizer, build_schedule
from .resolve import fill_defaults, loader_args, resolve
from .summary import Row, summary, summary_table
from .task import Task, build_loss
from .fit import check_experiment
