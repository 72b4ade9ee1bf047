"""Putting a checkpoint back: the model (after checking that names, shapes
and dtypes match exactly), the optimizer and schedule states and every random
generator's state."""
from .format import CheckpointError, label, why
from .tree import unflatten
from .writing import all_generators


def _listed(names):
    return f"{', '.join(names[:4])}{' ...' if len(names) > 4 else ''}"


def check_model(ckpt, net):
    """CheckpointError unless the checkpoint holds exactly ``net``'s names,
    shapes and dtypes."""
    name = label(ckpt.path)
    mine = net.state_dict()
    theirs = ckpt.model_state()
    missing, extra = sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks {_listed(missing)}")
        if extra:
            parts.append(f"has {_listed(extra)} that the model lacks")
        raise CheckpointError(f"{name} comes from a different model: it {' and '.join(parts)}")
    for key, value in mine.items():
        other = theirs[key]
        for what in ("shape", "dtype"):
            if getattr(other, what) != getattr(value, what):
                raise CheckpointError(f"{name} does not fit the model: '{key}' is {getattr(other, what)} in the "
                                      f"checkpoint, {getattr(value, what)} in the model")


def restore(ckpt, net, optimizer=None, schedule=None, generators=None, weights_only=False):
    """Load the model (after ``check_model``), the optimizer, schedule and
    generator states from ``ckpt`` (only the model with ``weights_only``)."""
    check_model(ckpt, net)
    if weights_only:
        net.load_state_dict(ckpt.model_state())
        return
    name = label(ckpt.path)
    gens = all_generators(net, generators)
    saved = ckpt.meta.get("rng", {})
    if optimizer is not None and ckpt.meta.get("optimizer") is None:
        raise CheckpointError(f"{name} holds no optimizer state")
    if (schedule is None) != (ckpt.meta.get("schedule") is None):
        raise CheckpointError(f"{name} {'has no' if schedule is not None else 'has a'} schedule state, "
                              f"but the config {'has' if schedule is not None else 'has no'} schedule")
    missing = sorted(set(gens) - set(saved))
    if missing:
        raise CheckpointError(f"{name} lacks the random generator state of {', '.join(missing)}")
    try:
        net.load_state_dict(ckpt.model_state())
        if optimizer is not None:
            optimizer.load_state_dict(unflatten(ckpt.meta["optimizer"], ckpt.arrays))
        if schedule is not None:
            schedule.load_state_dict(unflatten(ckpt.meta["schedule"], ckpt.arrays))
        for key, g in gens.items():
            g.bit_generator.state = saved[key]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise CheckpointError(f"{name} does not fit: {why(e)}") from None
