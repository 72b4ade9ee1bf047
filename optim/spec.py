"""An optimizer and a schedule as plain data, and back: what a run trained
from Python records so that ``kubik train --resume`` can rebuild them.

    optimizer_entry(opt, net)   -> {"name": "SGD", "args": {"lr": 0.1, "momentum": 0.9},
                                    "groups": [{"params": ["0.weight", ...], "lr_mult": 1.0, ...}],
                                    "parameters": {"0.bias": {"lr_mult": 2.0}}}
    schedule_entry(sched)       -> {"StepLR": {"step_size": 20, "gamma": 0.7}}   (a config's form)
    build_optimizer(entry, net) / build_schedule(opt, entry)

The arguments are the ones the constructor was called with (recorded as a
layer's are, layers/core/spec.py), without ``params`` / ``optimizer``; a schedule
given to another (LinearWarmup's ``after``) becomes its entry. Parameter
groups are named by the net's parameter names, each with its options as the
optimizer holds them (so groups with their own lr, weight decay or
multipliers round-trip), and "parameters" keeps a Parameter's own lr_mult,
decay_mult and requires_grad where they differ from the defaults. What cannot
be written (an unregistered class, a parameter outside the net, an argument
that is an object) is a ``layers.SpecError`` naming it.
"""
import inspect

from ..layers.core.spec import SpecError, plain, registered_name
from .optimizer import OPTIMIZERS
from .schedule import Schedule, build_schedule

__all__ = ["optimizer_entry", "schedule_entry", "build_optimizer", "build_schedule"]

_PARAM_DEFAULTS = {"lr_mult": 1.0, "decay_mult": 1.0, "requires_grad": True}


def _arguments(obj, skip):
    """{name: plain value} of ``obj``'s recorded constructor call, without argument ``skip``."""
    kind = type(obj).__name__
    call = obj.__dict__.get("_init_call")
    if call is None:
        raise SpecError("was not made by calling its class (no constructor arguments recorded)", kind)
    args, kwargs = call
    signature = inspect.signature(type(obj).__init__)
    try:
        bound = signature.bind(obj, *args, **kwargs).arguments
    except TypeError as e:
        raise SpecError(f"its recorded arguments do not fit {kind}.__init__ ({e})", kind) from None
    named = {}
    for name, value in list(bound.items())[1:]:          # without self
        p = signature.parameters[name]
        if name == skip:
            continue
        if p.kind is p.VAR_POSITIONAL:
            if value:
                raise SpecError(f"was given extra positional arguments (*{name}), which an entry cannot name", kind)
            continue
        for k, v in (value.items() if p.kind is p.VAR_KEYWORD else [(name, value)]):
            named[k] = schedule_entry(v) if isinstance(v, Schedule) else plain(v, k, kind)
    return named


def schedule_entry(sched):
    """``sched`` as a config's schedule entry ``{Name: {arguments}}``; SpecError if it cannot be."""
    from .schedule import SCHEDULES
    return {registered_name(sched, SCHEDULES, "schedule"): _arguments(sched, "optimizer")}


def optimizer_entry(opt, net):
    """``opt`` (updating parameters of ``net``) as plain data (see the module); SpecError if it cannot be."""
    kind = type(opt).__name__
    name = registered_name(opt, OPTIMIZERS, "optimizer")
    args = _arguments(opt, "params")
    named = list(net.named_parameters())
    names = {id(p): n for n, p in named}
    groups = []
    for g in opt.param_groups:
        outside = sum(id(p) not in names for p in g["params"])
        if outside:
            raise SpecError(f"{kind} updates {outside} parameter(s) that are not the net's, which the run "
                            f"cannot name", kind)
        options = {k: plain(v, k, kind) for k, v in g.items() if k != "params"}
        groups.append({"params": [names[id(p)] for p in g["params"]], **options})
    own = {}
    for n, p in named:
        diff = {k: plain(getattr(p, k), k, kind) for k, d in _PARAM_DEFAULTS.items() if getattr(p, k) != d}
        if diff:
            own[n] = diff
    return {"name": name, "args": args, "groups": groups, "parameters": own}


def build_optimizer(entry, net):
    """The optimizer ``entry`` (``optimizer_entry``'s) describes, on ``net``'s parameters (given
    their recorded lr_mult, decay_mult and requires_grad); KeyError/ValueError/TypeError if it does not fit."""
    params = dict(net.named_parameters())
    for n, attrs in (entry.get("parameters") or {}).items():
        for k, v in attrs.items():
            if k not in _PARAM_DEFAULTS:
                raise ValueError(f"parameter {n!r}: unknown attribute {k!r}")
            setattr(params[n], k, type(_PARAM_DEFAULTS[k])(v))
    groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [params[n] for n in g["params"]]}
              for g in entry["groups"]]
    return OPTIMIZERS.get(entry["name"])(groups, **entry["args"])
