"""Checking a checkpoint's metadata before anything is restored from it, so
that a hand-edited or damaged ``__kubik__`` entry (a negative or string
epoch, ``model`` as a list, shapes as strings, a data order out of range, of
floats, 2-D or too short) is one CheckpointError naming the entry, raised
before the run folder is touched.

    check_meta(meta, name)                  the structure (``read`` calls it)
    check_trainer_state(ckpt, n_train, train_cfg)
                                            the counters and data order against the data
"""
import math

import numpy as np

from .format import CheckpointError, label

_COUNTERS = ("epoch", "pos", "step", "loss_count", "bad_epochs")       # ints >= 0
_NUMBERS = ("seconds", "loss_sum")                                      # finite numbers
_OPTIONAL_NUMBERS = ("best", "es_best", "last_lr")                      # null or a number


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_number(v):
    return (_is_int(v) or isinstance(v, (float, np.floating))) and not isinstance(v, bool)


def _short(v):
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _bad(name, entry, value, want):
    return CheckpointError(f"{name} has a bad {entry}: {_short(value)} (expected {want}); was it edited by hand?")


def check_meta(meta, name):
    """CheckpointError unless the metadata's sections have the types the
    writer gives them (``name`` labels the file)."""
    model = meta.get("model", {})
    if not isinstance(model, dict):
        raise _bad(name, "'model' entry", model, "a mapping of names to [shape, dtype]")
    for key, spec in model.items():
        ok = (isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], list)
              and all(_is_int(d) and d >= 0 for d in spec[0]) and isinstance(spec[1], str))
        if not ok:
            raise _bad(name, f"shape/dtype of model/{key}", spec, "[[sizes], 'dtype']")
    for section in ("optimizer", "schedule"):
        if meta.get(section) is not None and not isinstance(meta[section], dict):
            raise _bad(name, f"'{section}' state", meta[section], "a mapping or null")
    for section in ("trainer", "rng"):
        if not isinstance(meta.get(section, {}), dict):
            raise _bad(name, f"'{section}' state", meta[section], "a mapping")
    for key, state in meta.get("rng", {}).items():
        if not isinstance(state, dict):
            raise _bad(name, f"random generator state '{key}'", state, "a mapping")
    trainer = meta.get("trainer", {})
    for key in _COUNTERS:
        if key in trainer and not (_is_int(trainer[key]) and trainer[key] >= 0):
            raise _bad(name, f"trainer {key}", trainer[key], "an integer >= 0")
    for key in _NUMBERS:
        if key in trainer and not (_is_number(trainer[key]) and math.isfinite(trainer[key])):
            raise _bad(name, f"trainer {key}", trainer[key], "a finite number")
    for key in _OPTIONAL_NUMBERS:
        if trainer.get(key) is not None and not _is_number(trainer[key]):
            raise _bad(name, f"trainer {key}", trainer[key], "a number or null")
    if trainer.get("best_epoch") is not None and not (_is_int(trainer["best_epoch"]) and trainer["best_epoch"] >= 0):
        raise _bad(name, "trainer best_epoch", trainer["best_epoch"], "an integer >= 0 or null")
    if trainer.get("done") is not None and not isinstance(trainer["done"], str):
        raise _bad(name, "trainer done", trainer["done"], "a message or null")


def check_trainer_state(ckpt, n_train, train_cfg=None):
    """CheckpointError unless the trainer state fits ``n_train`` training
    samples (and the batches per epoch of ``train_cfg``, a normalized
    ``train`` section): the data order a permutation of 0..n_train-1, the
    position within the epoch, the counters consistent."""
    name = label(ckpt.path)
    n_batches = None
    if train_cfg is not None:
        bs = max(n_train, 1) if train_cfg["batch_size"] == "full" else train_cfg["batch_size"]
        n_batches = n_train // bs if train_cfg.get("drop_last") else -(-n_train // bs)
    st = ckpt.trainer
    order = st.get("order")
    if order is not None:
        order = np.asarray(order)
        if order.dtype.kind not in "iu" or order.ndim != 1:
            raise _bad(name, "data order (trainer/order)", f"{order.ndim}-D {order.dtype} array",
                       f"a 1-D integer array of {n_train} sample indices")
        if len(order) != n_train:
            raise CheckpointError(f"{name} has a data order of {len(order)} samples, but the training part has "
                                  f"{n_train}; was it edited by hand, or did the data change?")
        if not np.array_equal(np.sort(order), np.arange(n_train)):
            raise CheckpointError(f"{name} has a data order that is not a permutation of the {n_train} training "
                                  f"samples (values {int(order.min())}..{int(order.max())}); was it edited by hand?")
    limit = n_batches if n_batches is not None else n_train
    if _is_int(st.get("pos")) and st["pos"] > limit:
        raise _bad(name, "trainer pos", st["pos"], f"a batch position <= {limit}")
    if _is_int(st.get("pos")) and st["pos"] > 0 and order is None:
        raise CheckpointError(f"{name} is mid-epoch (trainer pos {st['pos']}) but has no data order")
    if _is_int(st.get("best_epoch")) and _is_int(st.get("epoch")) and st["best_epoch"] > st["epoch"]:
        raise _bad(name, "trainer best_epoch", st["best_epoch"], f"an epoch <= {st['epoch']}")
