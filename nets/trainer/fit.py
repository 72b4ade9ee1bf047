"""``fit``: train a net built in Python with the loop the CLI runs.

    history = nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1),
                       (X_train, y_train), val=(X_val, y_val), epochs=10, batch_size=32)
    history[-1]["val_accuracy"], history.as_dict()["train_loss"], history.result.status

``train`` and ``val`` are (X, y) tuples or DataLoaders; a tuple is batched
with ``batch_size`` (default 32; "full", and the default for an optimizer
that takes a closure such as LBFGS: the whole set as one batch), ``shuffle``,
``drop_last``, ``rng`` and ``augment`` (training transforms, nets.augment: a list
of them; these apply to tuples only, a DataLoader brings its own). The other
settings are the Trainer's (nets.trainer.settings):
accumulate, clip_norm, clip_value, val_interval, eval_batch_size,
early_stopping, checkpoint_every, monitor, schedule_interval, progress.

With ``out=`` the run folder gets metrics.csv, last.npz and best.npz, as a
YAML run's (without config.yaml: the net is Python code); the checkpoints
record the net's description (``net.spec()``), the loss and the input shape
(nets.trainer.python_run), so ``kubik eval FOLDER --data SOURCE`` and ``kubik.load``
work on it; a net that cannot be described is trained all the same, and one
log line says why those will refuse it. ``out`` holding a
last.npz is refused unless ``resume=True``, which continues that run bit for
bit (the same net, optimizer, schedule and settings must be built again;
``epochs`` may be raised); ``resume=True`` on a folder without last.npz
starts the run afresh and says so. The checkpoints also record the
optimizer, schedule, settings and loader (nets.trainer.python_resume), so
``kubik train --resume FOLDER --data TRAIN`` rebuilds them and continues the
run through this same function.
"""
from pathlib import Path

from .. import checkpoint
from ..datasets.inputs import as_inputs
from .dataloader import DataLoader
from .closure_step import needs_closure
from .loop import Trainer


def fit(net, loss, optimizer, train, val=None, *, epochs=10, batch_size=None, shuffle=True, drop_last=False,
        rng=None, augment=None, schedule=None, callbacks=(), out=None, resume=False, task=None, log=print,
        **settings) -> "History":
    """Train and return the History (one dict per epoch; ``.result``: the Result)."""
    if not isinstance(train, DataLoader):
        if not isinstance(train, (tuple, list)) or len(train) != 2:
            raise TypeError(f"fit: train must be an (X, y) tuple or a nets.DataLoader, got {type(train).__name__}")
        if batch_size is None:
            batch_size = "full" if needs_closure(optimizer) else 32
        if batch_size == "full":
            batch_size = max(len(train[0]), 1)
        names = getattr(net, "inputs", None)       # a graph's inputs name a tuple of input arrays
        train = DataLoader(as_inputs(train[0], names), train[1], batch_size=batch_size, shuffle=shuffle,
                           drop_last=drop_last, rng=rng, augment=augment,
                           name="fit: train")
        if isinstance(val, (tuple, list)) and len(val) == 2:
            val = (as_inputs(val[0], names), val[1])
    elif augment is not None:
        raise TypeError("fit: augment= applies to an (X, y) tuple; a DataLoader brings its own "
                        "(DataLoader(..., augment=...))")
    trainer = Trainer(net, loss, optimizer, schedule, out=out, callbacks=callbacks, task=task, log=log,
                      epochs=epochs, **settings)
    log = trainer.log           # under MPI: rank 0's alone
    if out is not None:
        last = Path(out) / "last.npz"
        if last.exists() and not resume:
            raise ValueError(f"fit: '{out}' already holds a run (last.npz); pass resume=True to continue it, "
                             f"or choose another out")
        if resume and last.exists():
            trainer.restore(checkpoint.read(last))
            log(f"resuming {out} at epoch {trainer.state['epoch'] + 1}, step {trainer.state['step']}")
        elif resume:
            log(f"{out} holds no last.npz: starting a new run there")
    elif resume:
        raise ValueError("fit: resume=True needs out= (the run folder to resume)")
    result = trainer.fit(train, val)
    if result.message:
        log(result.message)
    history = result.history
    history.result = result
    return history
