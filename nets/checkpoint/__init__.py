"""Checkpoints: one .npz file holding everything needed to resume a run bit
for bit, written atomically and read without pickle.

Entries of the archive:

    model/<name>        parameters and buffers (``net.state_dict()``)
    <section>/<path>    every array of the optimizer, schedule and trainer
                        state (e.g. ``optimizer/state/0/momentum_buffer``,
                        ``trainer/order``: the data order of the epoch)
    __kubik__           a JSON string: format and version, the resolved
                        config and its hash, the model's names/shapes/dtypes,
                        the non-array parts of those states (arrays replaced
                        by {"__array__": entry}) and the state of every random
                        generator (package, data order, each layer's own)

    format      FORMAT, VERSION, CheckpointError
    tree        flatten / unflatten: nested states <-> JSON + arrays
    writing     save (atomic), layer_generators
    reading     read -> Checkpoint
    restoring   check_model, restore
    validate    check_meta (read calls it), check_trainer_state (resume calls it)
"""
from .format import FORMAT, META, VERSION, CheckpointError, CheckpointWriteError
from .reading import Checkpoint, read
from .restoring import check_model, restore
from .tree import flatten, unflatten
from .validate import check_meta, check_trainer_state
from .writing import layer_generators, save
