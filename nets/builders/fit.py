"""Checks of a built experiment as a whole, before any training step, so
that a mistake that would surface at the first step (or silently) is one
ConfigError at the entry that causes it:

    - BCE needs probabilities: the model must end in Sigmoid (or Softmax);
      NLL needs log-probabilities: the model must end in LogSoftmax.
      (CrossEntropy and BCEWithLogits take raw scores.)
    - train.drop_last with a batch larger than the training part.
    - an Embedding that takes the data must have a row for every index the data
      holds (a text's whole vocabulary), or the first batch would fail mid-run.
    - an optimizer that takes a closure (LBFGS) with mini-batches, gradient
      accumulation or clipping (it needs the full batch and the exact gradient).

``check_experiment(exp)`` raises the ConfigError with a path; the CLI places
it at the YAML line or ``--set`` (nets.cli.common.build_experiment).
"""
import numpy as np

from ..config import ConfigError, Problems, batch_size_of, format_path
from ..datasets import CHARACTER_SETS
from ..trainer.closure_step import check_closure_settings, needs_closure
from ..trainer.output_losses import OutputLosses
from .entries import entry_path

# loss -> (what its input must be, the layers that make it)
NEEDS = {"BCE": ("probabilities in [0, 1]", ("Sigmoid", "Softmax"), "BCEWithLogits"),
         "NLL": ("log-probabilities", ("LogSoftmax",), "CrossEntropy")}


def last_leaf(net):
    """The last layer data flows through at the end of ``net`` (through Sequentials)."""
    layer = net
    while type(layer).__name__ == "Sequential" and layer.children():
        layer = layer.children()[-1]
    return layer


def _last_entry_path(model):
    entry = model[-1]
    path = ("model", len(model) - 1)
    while isinstance(entry, list) and entry:         # a bare list is a Sequential
        path, entry = path + ("Sequential", len(entry) - 1), entry[-1]
    return entry_path(entry, path)


def check_loss_fits(loss, net, model_cfg):
    """ConfigError at ``loss`` if the loss cannot take what the model's last layer gives
    (a graph's losses: each on the node that produces its output)."""
    if isinstance(model_cfg, dict):
        _check_graph_losses(loss, net)
        return
    name = type(loss).__name__
    if name not in NEEDS:
        return
    want, makers, instead = NEEDS[name]
    last = type(last_leaf(net)).__name__
    if last not in makers:
        where = format_path(_last_entry_path(model_cfg)) if model_cfg else "the model"
        raise ConfigError(f"{name} takes {want}, but the model ends in {last} ({where}); end it in "
                          f"{' or '.join(makers)}, or use {instead} on the raw scores", ("loss",))


def _check_graph_losses(loss, graph):
    terms = loss.terms if isinstance(loss, OutputLosses) else [(loss, [0], 1.0)]
    for i, (term, idx, _) in enumerate(terms):
        name = type(term).__name__
        if name not in NEEDS:
            continue
        want, makers, instead = NEEDS[name]
        output = graph.outputs[idx[0]]
        last = type(last_leaf(graph[output.partition(":")[0]])).__name__
        if last not in makers:
            raise ConfigError(f"{name} takes {want}, but output {output!r} ends in {last}; end it in "
                              f"{' or '.join(makers)}, or use {instead} on the raw scores",
                              ("loss", i) if isinstance(loss, OutputLosses) and len(terms) > 1 else ("loss",))


def first_leaf(net):
    """The first layer data flows into at the start of ``net`` (through Sequentials)."""
    layer = net
    while type(layer).__name__ == "Sequential" and layer.children():
        layer = layer.children()[0]
    return layer


def _first_entry_path(model):
    entry, path = model[0], ("model", 0)
    while isinstance(entry, list) and entry:
        path, entry = path + ("Sequential", 0), entry[0]
    return entry_path(entry, path)


def check_embedding_rows(net, model_cfg, data, data_name=None):
    """ConfigError at the Embedding that takes the data if it has fewer rows
    (num_embeddings) than the data has indices: for the text data set its whole
    vocabulary (``kubik sample`` may feed any of its characters)."""
    layer = first_leaf(net)
    rows = getattr(layer, "num_embeddings", None)
    if rows is None or not isinstance(model_cfg, list) or not model_cfg:
        return
    top = max((float(np.max(X)) for X in (data.X_train, data.X_val, data.X_test) if X is not None and X.size),
              default=-1.0)
    need = int(top) + 1
    vocab = ""
    if data_name in CHARACTER_SETS and data.classes:
        need = max(need, len(data.classes))
        vocab = f" (the text's vocabulary of {len(data.classes)} symbols)"
    if rows < need:
        raise ConfigError(f"{rows} rows, but the data holds indices up to {need - 1}{vocab}: the first "
                          f"batch would fail; set num_embeddings to {need}",
                          _first_entry_path(model_cfg) + ("num_embeddings",))


def check_batches(train_cfg, n_train):
    """ConfigError at train.batch_size if drop_last would leave no batch."""
    bs = batch_size_of(train_cfg, n_train)
    if train_cfg["drop_last"] and n_train < bs:
        raise ConfigError(f"{bs} is larger than the {n_train} training samples, and drop_last is on",
                          ("train", "batch_size"))


def check_closure_optimizer(optimizer, train_cfg, n_train):
    """ConfigError at the train entry that an LBFGS-like optimizer cannot honour."""
    if not needs_closure(optimizer):
        return
    settings = {"accumulate": train_cfg["accumulate"], "clip_norm": train_cfg["clip_norm"],
                "clip_value": train_cfg["clip_value"]}
    problems = check_closure_settings(optimizer, settings, batch_size_of(train_cfg, n_train), n_train)
    if problems:
        key, text = problems[0]
        raise ConfigError(text, ("train", key))


def check_experiment(exp):
    """Every whole-experiment check above; ConfigError with the entry's path."""
    problems = Problems()         # independent checks: every mistake at once
    problems.run(check_loss_fits, exp.loss, exp.net, exp.config["model"])
    problems.run(check_batches, exp.config["train"], len(exp.data.X_train))
    problems.run(check_closure_optimizer, exp.optimizer, exp.config["train"], len(exp.data.X_train))
    problems.run(check_embedding_rows, exp.net, exp.config["model"], exp.data, exp.config["data"].get("name"))
    problems.raise_all()
