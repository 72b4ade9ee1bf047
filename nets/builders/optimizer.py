"""The optimizer (with ``no_decay`` parameter groups) and the learning-rate
schedule, nested schedules (LinearWarmup's ``after``) included."""
from ... import optim

from ..config import ConfigError
from .arguments import call, check_complete, lookup, section_kwargs


def build_optimizer(section, net):
    """The optimizer named by a normalized ``optimizer`` section, over ``net``'s parameters."""
    cls = lookup(optim.OPTIMIZERS, section["name"], ("optimizer", "name"))
    kwargs = section_kwargs(section, ("name", "no_decay"))
    check_complete(cls, kwargs, ("optimizer",), skip=("params",))
    params = optim.param_groups_no_decay(net) if section.get("no_decay") else net.parameters()
    return call(cls, (params,), kwargs, ("optimizer",), cls.__name__)


def _schedule_spec(spec, path):
    """A schedule entry: 'Name', {name: Name, ...} or {Name: {...}} -> (name, kwargs)."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, dict) and "name" in spec:
        return spec["name"], section_kwargs(spec, ("name", "interval"))
    if isinstance(spec, dict) and len(spec) == 1:
        (name, kwargs), = spec.items()
        if kwargs is None or isinstance(kwargs, dict):
            return name, dict(kwargs or {})
    raise ConfigError(f"expected a schedule name or {{name: ..., arguments}}, got {spec!r}", path)


def build_schedule(spec, optimizer, path=("schedule",)):
    """A Schedule from a config entry (None -> None); nested schedule
    arguments (LinearWarmup's ``after``) are built the same way."""
    if spec is None:
        return None
    name, kwargs = _schedule_spec(spec, path)
    cls = lookup(optim.SCHEDULES, name, path + (("name",) if isinstance(spec, dict) and "name" in spec else ()))
    check_complete(cls, kwargs, path, skip=("optimizer",))
    if kwargs.get("after") is not None:
        kwargs["after"] = build_schedule(kwargs["after"], optimizer, path + ("after",))
    return call(cls, (optimizer,), kwargs, path, cls.__name__)
