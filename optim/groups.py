"""Building parameter groups from named parameters."""
from ..layers import Parameter


def default_no_decay(name, p):
    """Biases and norm scales/shifts: parameters named ``*bias`` or with at most one axis."""
    return name.split(".")[-1] == "bias" or p.data.ndim <= 1


def param_groups_no_decay(named_params, no_decay=default_no_decay, **options):
    """Split parameters into a decayed group and a group without weight decay.

        groups = optim.param_groups_no_decay(net)          # or net.named_parameters()
        opt = optim.AdamW(groups, lr=1e-3, weight_decay=0.05)

    ``named_params`` is a Layer (its ``named_parameters()`` are used) or an
    iterable of ``(name, Parameter)``. ``no_decay(name, param) -> bool`` picks
    the parameters to exempt; by default biases and every parameter with at most
    one axis (BatchNorm/LayerNorm weight and bias). The exempt group gets
    ``decay_mult = 0`` (so it works for every optimizer, AdamW's decoupled decay
    included); ``options`` (e.g. ``lr=...``) go into both groups. Frozen
    parameters stay in their group (optimizers skip them). Empty groups are
    left out; the order of parameters within each group is kept.
    """
    if hasattr(named_params, "named_parameters"):
        named_params = named_params.named_parameters()
    decay, exempt = [], []
    for item in named_params:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Parameter)):
            raise TypeError(f"param_groups_no_decay: expected (name, Parameter) pairs, got {item!r}")
        name, p = item
        (exempt if no_decay(name, p) else decay).append(p)
    groups = []
    if decay:
        groups.append({"params": decay, **options})
    if exempt:
        groups.append({"params": exempt, **options, "decay_mult": 0.0})
    if not groups:
        raise ValueError("param_groups_no_decay: got no parameters")
    return groups
