"""optim.spec: an optimizer and a schedule written as plain (JSON / YAML) data
and built again — what a run made from Python records for kubik train --resume."""
import json

import numpy as np
import pytest

from kubik import layers, nets, optim
from kubik.optim.spec import build_optimizer, build_schedule, optimizer_entry, schedule_entry


def net():
    return nets.Sequential(layers.Linear(3, 4, rng=0), layers.ReLU(), layers.Linear(4, 2, rng=1))


def test_an_optimizer_with_groups_and_parameter_options_round_trips():
    a = net()
    a[2].bias.decay_mult = 0.0
    a[0].weight.requires_grad = False
    opt = optim.RMSprop([{"params": a[0].parameters(), "lr": 0.002}, {"params": a[2].parameters()}],
                        lr=0.01, momentum=0.5, centered=True)
    entry = optimizer_entry(opt, a)
    assert json.loads(json.dumps(entry)) == entry
    assert entry["name"] == "RMSprop" and entry["args"] == {"lr": 0.01, "momentum": 0.5, "centered": True}
    assert [g["params"] for g in entry["groups"]] == [["0.weight", "0.bias"], ["2.weight", "2.bias"]]
    assert entry["groups"][0]["lr_mult"] == pytest.approx(0.2) and entry["groups"][1]["lr_mult"] == 1.0
    assert entry["parameters"] == {"0.weight": {"requires_grad": False}, "2.bias": {"decay_mult": 0.0}}
    b = net()
    again = build_optimizer(entry, b)
    assert type(again) is optim.RMSprop and again.lr == 0.01
    assert [{k: v for k, v in g.items() if k != "params"} for g in again.param_groups] == \
        [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    assert b[0].weight.requires_grad is False and b[2].bias.decay_mult == 0.0
    assert [id(p) for p in again.parameters()] == [id(p) for p in b.parameters()]


@pytest.mark.parametrize("make, expected", [
    (lambda o: optim.StepLR(o, 3, gamma=0.5), {"StepLR": {"step_size": 3, "gamma": 0.5}}),
    (lambda o: optim.MultiStepLR(o, (2, 5)), {"MultiStepLR": {"milestones": [2, 5]}}),
    (lambda o: optim.ReduceLROnPlateau(o, mode="max", patience=2), {"ReduceLROnPlateau": {"mode": "max", "patience": 2}}),
    (lambda o: optim.LinearWarmup(o, 4, after=optim.CosineAnnealingLR(o, T_max=10)),
     {"LinearWarmup": {"warmup_steps": 4, "after": {"CosineAnnealingLR": {"T_max": 10}}}}),
    (lambda o: optim.LinearWarmup(o, 4, after={"ExponentialLR": {"gamma": 0.9}}),
     {"LinearWarmup": {"warmup_steps": 4, "after": {"ExponentialLR": {"gamma": 0.9}}}}),
])
def test_schedules_are_config_entries_that_build_the_same_schedule(make, expected):
    opt = optim.SGD(net().parameters(), lr=0.1)
    sched = make(opt)
    assert schedule_entry(sched) == expected
    other = optim.SGD(net().parameters(), lr=0.1)
    again = build_schedule(other, expected)
    for _ in range(6):
        assert sched.step(1.0) == again.step(1.0)


class Halve(optim.Schedule):          # not registered
    def lr_at(self, epoch):
        return self.base_lr / 2


def test_what_cannot_be_written_names_the_class_and_argument():
    a = net()
    opt = optim.SGD(a.parameters(), lr=0.1)
    with pytest.raises(layers.SpecError, match="Halve is not a registered schedule"):
        schedule_entry(Halve(opt))
    with pytest.raises(layers.SpecError, match="argument 'milestones' is an array of shape"):
        schedule_entry(optim.MultiStepLR(opt, np.array([2, 5])))
    with pytest.raises(layers.SpecError, match="SGD updates 1 parameter"):
        optimizer_entry(optim.SGD(a.parameters() + [layers.Parameter(np.zeros(2))], lr=0.1), a)


class Constant(optim.Schedule):     # the base's constructor: its arguments are recorded too
    def lr_at(self, epoch):
        return self.base_lr


def test_a_class_with_the_base_constructor_is_written_too():
    optim.register_schedule(Constant, name="_TestConstant")
    try:
        opt = optim.SGD(net().parameters(), lr=0.1)
        assert schedule_entry(Constant(opt, base_lr=0.5)) == {"_TestConstant": {"base_lr": 0.5}}
        assert build_schedule(opt, {"_TestConstant": {"base_lr": 0.5}}).get_last_lr() == 0.5
    finally:
        del optim.SCHEDULES._table["_TestConstant"]
