"""Learning-rate schedules: values at every epoch against recorded PyTorch
values, Caffe's formulas, composition, ReduceLROnPlateau, state round trips,
validation.

The reference lists were recorded once with torch 2.13 (an SGD optimizer with
lr=0.1, the matching torch.optim.lr_scheduler class, ``step()`` once per
epoch; LinearWarmup against LinearLR and SequentialLR; PolyLR against
PolynomialLR); the tests do not import torch. Entry e is the rate after e steps.
"""
import math

import numpy as np
import pytest

from kubik import optim
from kubik.layers import Parameter

M1 = [1.0, 0.9, 0.95, 0.899, 0.9, 0.91, 0.92, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
M2 = [0.1, 0.2, 0.2, 0.25, 0.3, 0.3, 0.3, 0.3, 0.31, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]

TORCH = {
    'StepLR(step_size=3, gamma=0.5)': [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625],
    'MultiStepLR(milestones=[2, 5, 5, 9], gamma=0.1)': [0.1, 0.1, 0.01, 0.01, 0.01, 0.0001, 0.0001, 0.0001, 0.0001, 1e-05, 1e-05, 1e-05, 1e-05],
    'ExponentialLR(gamma=0.9)': [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.0387420489, 0.03486784401, 0.031381059609, 0.0282429536481, 0.02541865828329, 0.022876792454961, 0.0205891132094649, 0.0185302018885184, 0.0166771816996666, 0.0150094635296999, 0.0135085171767299, 0.0121576654590569, 0.0109418989131512, 0.00984770902183612, 0.00886293811965251, 0.00797664430768726, 0.00717897987691853, 0.00646108188922668, 0.00581497370030401, 0.00523347633027361, 0.00471012869724625, 0.00423911582752163],
    'CosineAnnealingLR(T_max=10, eta_min=0.001)': [0.1, 0.0975772975566101, 0.0905463412215599, 0.0795953699884774, 0.0657963412215599, 0.0505, 0.0352036587784401, 0.0214046300115226, 0.0104536587784401, 0.0034227024433899, 0.001, 0.0034227024433899, 0.0104536587784401, 0.0214046300115227, 0.0352036587784403, 0.0505000000000002, 0.0657963412215602, 0.0795953699884778, 0.0905463412215603, 0.0975772975566105, 0.1, 0.0975772975566105, 0.0905463412215603, 0.0795953699884778, 0.0657963412215602, 0.0505000000000002],
    'CosineAnnealingWarmRestarts(T_0=3, T_mult=2, eta_min=0.01)': [0.1, 0.0775, 0.0325, 0.1, 0.0939711431702998, 0.0775, 0.055, 0.0325, 0.0160288568297003, 0.1, 0.0984666621830081, 0.0939711431702998, 0.0868198051533946, 0.0775, 0.0666468570296134, 0.055, 0.0433531429703866, 0.0325, 0.0231801948466054, 0.0160288568297003, 0.0115333378169919, 0.1, 0.0996150187618215, 0.0984666621830081, 0.0965745789630079, 0.0939711431702998],
    'CosineAnnealingWarmRestarts(T_0=4)': [0.1, 0.0853553390593274, 0.05, 0.0146446609406726, 0.1, 0.0853553390593274, 0.05, 0.0146446609406726, 0.1, 0.0853553390593274, 0.05, 0.0146446609406726, 0.1],
    'LinearWarmup(warmup_steps=5, start_factor=0.1)': [0.01, 0.028, 0.046, 0.064, 0.082, 0.1, 0.1, 0.1, 0.1],
    'LinearWarmup(warmup_steps=4)': [0.0333333333333333, 0.05, 0.0666666666666667, 0.0833333333333333, 0.1, 0.1, 0.1],
    'LinearWarmup(warmup_steps=5, start_factor=0.1, after=CosineAnnealingLR(T_max=15))': [0.01, 0.028, 0.046, 0.064, 0.082, 0.1, 0.0989073800366903, 0.09567727288213, 0.0904508497187474, 0.0834565303179429, 0.075, 0.0654508497187474, 0.0552264231633827, 0.0447735768366173, 0.0345491502812526, 0.025, 0.0165434696820571, 0.00954915028125264, 0.00432272711786995, 0.00109261996330972, 0.0, 0.00109261996330972, 0.00432272711786996],
    'LinearWarmup(warmup_steps=3, start_factor=0.25, after=StepLR(step_size=2, gamma=0.5))': [0.025, 0.05, 0.075, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125],
    'PolyLR(max_iter=10, power=2.0)': [0.1, 0.081, 0.064, 0.049, 0.036, 0.025, 0.016, 0.00900000000000001, 0.004, 0.001, 0.0, 0.0, 0.0, 0.0],
    'PolyLR(max_iter=8, power=0.5)': [0.1, 0.0935414346693485, 0.0866025403784439, 0.0790569415042095, 0.0707106781186548, 0.0612372435695794, 0.05, 0.0353553390593274, 0.0, 0.0],
    'ReduceLROnPlateau(factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.02)': [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02],
    "ReduceLROnPlateau(mode='max', threshold_mode='abs', threshold=0.05, patience=1, factor=0.3)": [0.1, 0.1, 0.1, 0.1, 0.03, 0.03, 0.03, 0.009, 0.009, 0.0027, 0.0027, 0.00081, 0.00081, 0.000243, 0.000243, 7.29e-05],
}


def sgd(lr=0.1):
    return optim.SGD([Parameter(np.zeros(1))], lr=lr)


def build(text, opt):
    """The schedule that ``text`` names, e.g. "LinearWarmup(warmup_steps=5, after=...)"."""
    return BUILD[text](opt)


BUILD = {
    "StepLR(step_size=3, gamma=0.5)": lambda o: optim.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR(milestones=[2, 5, 5, 9], gamma=0.1)": lambda o: optim.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.1),
    "ExponentialLR(gamma=0.9)": lambda o: optim.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR(T_max=10, eta_min=0.001)": lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR(T_max=7, eta_min=0.001)": lambda o: optim.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "CosineAnnealingWarmRestarts(T_0=3, T_mult=2, eta_min=0.01)":
        lambda o: optim.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts(T_0=4)": lambda o: optim.CosineAnnealingWarmRestarts(o, T_0=4),
    "LinearWarmup(warmup_steps=5, start_factor=0.1)": lambda o: optim.LinearWarmup(o, warmup_steps=5, start_factor=0.1),
    "LinearWarmup(warmup_steps=12, start_factor=0.1)": lambda o: optim.LinearWarmup(o, warmup_steps=12, start_factor=0.1),
    "LinearWarmup(warmup_steps=4)": lambda o: optim.LinearWarmup(o, warmup_steps=4),
    "LinearWarmup(warmup_steps=5, start_factor=0.1, after=CosineAnnealingLR(T_max=15))":
        lambda o: optim.LinearWarmup(o, warmup_steps=5, start_factor=0.1, after=optim.CosineAnnealingLR(o, T_max=15)),
    "LinearWarmup(warmup_steps=3, start_factor=0.25, after=StepLR(step_size=2, gamma=0.5))":
        lambda o: optim.LinearWarmup(o, warmup_steps=3, start_factor=0.25, after=optim.StepLR(o, step_size=2, gamma=0.5)),
    "LinearWarmup(warmup_steps=5, after=ReduceLROnPlateau(patience=1, cooldown=2, factor=0.5))":
        lambda o: optim.LinearWarmup(o, warmup_steps=5,
                                     after=optim.ReduceLROnPlateau(o, patience=1, cooldown=2, factor=0.5)),
    "PolyLR(max_iter=10, power=2.0)": lambda o: optim.PolyLR(o, max_iter=10, power=2.0),
    "PolyLR(max_iter=8, power=0.5)": lambda o: optim.PolyLR(o, max_iter=8, power=0.5),
    "PolyLR(max_iter=15, power=2.0)": lambda o: optim.PolyLR(o, max_iter=15, power=2.0),
    "InvLR(gamma=0.1, power=0.75)": lambda o: optim.InvLR(o, gamma=0.1, power=0.75),
    "ReduceLROnPlateau(factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.02)":
        lambda o: optim.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.02),
    "ReduceLROnPlateau(mode='max', threshold_mode='abs', threshold=0.05, patience=1, factor=0.3)":
        lambda o: optim.ReduceLROnPlateau(o, mode="max", threshold_mode="abs", threshold=0.05, patience=1, factor=0.3),
}


@pytest.mark.parametrize("text", list(TORCH))
def test_values_match_torch(text):
    opt = sgd()
    sched = build(text, opt)
    metrics = M1 if "patience=2" in text else M2 if "ReduceLROnPlateau" in text else None
    got = [opt.lr]
    assert sched.get_last_lr() == opt.lr and sched.last_epoch == 0
    for e in range(1, len(TORCH[text])):
        lr = sched.step(metrics[e - 1]) if metrics else sched.step()
        assert lr == opt.lr == sched.get_last_lr()
        got.append(opt.lr)
    np.testing.assert_allclose(got, TORCH[text], rtol=1e-12, atol=1e-15)
    assert sched.last_epoch == len(TORCH[text]) - 1


def test_value_check_can_fail():
    opt = sgd()
    sched = optim.CosineAnnealingLR(opt, T_max=11, eta_min=0.001)
    got = [opt.lr] + [sched.step() for _ in range(25)]
    assert not np.allclose(got, TORCH["CosineAnnealingLR(T_max=10, eta_min=0.001)"], rtol=1e-12, atol=1e-15)


def test_caffe_inv_and_poly_formulas():
    opt = sgd(0.01)
    inv = optim.InvLR(opt, gamma=1e-4, power=0.75)        # Caffe's LeNet solver
    lrs = [opt.lr] + [inv.step() for _ in range(10000)]
    for it in (0, 1, 100, 10000):
        assert lrs[it] == pytest.approx(0.01 * (1 + 1e-4 * it) ** -0.75, rel=1e-14)
    assert lrs[10000] == pytest.approx(0.01 * 2 ** -0.75, rel=1e-14)
    opt = sgd(0.1)
    poly = optim.PolyLR(opt, max_iter=4, power=2.0)
    lrs = [opt.lr] + [poly.step() for _ in range(6)]
    np.testing.assert_allclose(lrs, [0.1, 0.1 * 0.75 ** 2, 0.1 * 0.25, 0.1 * 0.0625, 0.0, 0.0, 0.0], rtol=1e-14)


def test_schedule_reads_base_lr_and_sets_it_at_construction():
    opt = sgd(0.3)
    sched = optim.LinearWarmup(opt, warmup_steps=2, start_factor=0.5)
    assert sched.base_lr == 0.3 and opt.lr == 0.15
    opt = sgd(0.3)
    inner = optim.LinearWarmup(opt, warmup_steps=2, start_factor=0.5)
    outer = optim.LinearWarmup(opt, warmup_steps=0, after=inner)   # takes the inner base_lr, not 0.15
    assert outer.base_lr == 0.3 and opt.lr == 0.15
    assert [outer.step(), outer.step(), outer.step()] == pytest.approx([0.225, 0.3, 0.3], rel=1e-15)


def test_linear_warmup_after_from_config_entry_and_plateau():
    opt = sgd(0.1)
    sched = optim.LinearWarmup(opt, warmup_steps=2, start_factor=0.5,
                               after={"ReduceLROnPlateau": {"patience": 0, "factor": 0.5}})
    assert isinstance(sched.after, optim.ReduceLROnPlateau)
    assert sched.needs_metric and sched.after.needs_metric
    assert not optim.LinearWarmup(sgd(), 2).needs_metric and not optim.StepLR(sgd(), 2).needs_metric
    assert [sched.step(), sched.step()] == pytest.approx([0.075, 0.1], rel=1e-15)  # warmup ignores the metric
    assert sched.step(1.0) == 0.1                                # first metric: an improvement
    assert sched.step(1.0) == 0.05                               # no improvement, patience 0
    with pytest.raises(ValueError, match="ReduceLROnPlateau.step: needs the monitored metric"):
        sched.step()
    assert isinstance(optim.build_schedule(opt, {"StepLR": {"step_size": 2}}), optim.StepLR)
    assert isinstance(optim.build_schedule(opt, "ReduceLROnPlateau"), optim.ReduceLROnPlateau)
    with pytest.raises(TypeError, match="expected a schedule"):
        optim.build_schedule(opt, ["StepLR"])
    with pytest.raises(ValueError, match="unknown schedule 'Cosine'"):
        optim.LinearWarmup(opt, warmup_steps=2, after={"Cosine": {"T_max": 3}})
    with pytest.raises(ValueError, match="same optimizer"):
        optim.LinearWarmup(opt, warmup_steps=2, after=optim.StepLR(sgd(), step_size=2))


def test_plateau_needs_a_metric_and_counts_nan_as_bad():
    opt = sgd()
    sched = optim.ReduceLROnPlateau(opt, patience=1)
    with pytest.raises(ValueError, match="ReduceLROnPlateau.step: needs the monitored metric"):
        sched.step()
    with pytest.raises(ValueError, match="metric must be a number"):
        sched.step("low")
    assert sched.last_epoch == 0
    sched.step(np.float32(1.0))
    sched.step(float("nan")); sched.step(float("nan"))
    assert opt.lr == pytest.approx(0.01)


def test_warm_restarts_cycle_attributes():
    sched = optim.CosineAnnealingWarmRestarts(sgd(), T_0=3, T_mult=2)
    seen = []
    for _ in range(10):
        sched.step()
        seen.append((sched.T_cur, sched.T_i))
    assert seen == [(1, 3), (2, 3), (0, 6), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (0, 12), (1, 12)]


def test_registry_has_every_schedule():
    names = {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
             "LinearWarmup", "ReduceLROnPlateau", "InvLR", "PolyLR"}
    assert names <= set(optim.SCHEDULES.names())
    assert optim.SCHEDULES.kind == "schedule"
    with pytest.raises(ValueError, match="did you mean 'StepLR'"):
        optim.SCHEDULES.get("StepLr")


BAD = [
    ("StepLR", dict(step_size=0), "step_size"),
    ("StepLR", dict(step_size=2.5), "step_size"),
    ("StepLR", dict(step_size=2, gamma=-0.1), "gamma"),
    ("MultiStepLR", dict(milestones=[3, 0]), r"milestones\[1\]"),
    ("MultiStepLR", dict(milestones=5), "milestones"),
    ("ExponentialLR", dict(gamma=0), "gamma"),
    ("CosineAnnealingLR", dict(T_max=0), "T_max"),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=-1), "eta_min"),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=0), "T_mult"),
    ("LinearWarmup", dict(warmup_steps=-1), "warmup_steps"),
    ("LinearWarmup", dict(warmup_steps=3, start_factor=1.5), "start_factor"),
    ("ReduceLROnPlateau", dict(mode="minimum"), "mode"),
    ("ReduceLROnPlateau", dict(factor=1.0), "factor"),
    ("ReduceLROnPlateau", dict(threshold_mode="relative"), "threshold_mode"),
    ("ReduceLROnPlateau", dict(patience=-1), "patience"),
    ("InvLR", dict(gamma=-1e-4, power=0.75), "gamma"),
    ("PolyLR", dict(max_iter=0), "max_iter"),
    ("PolyLR", dict(max_iter=10, power=-1), "power"),
]


@pytest.mark.parametrize("name, kwargs, pattern", BAD, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD)])
def test_bad_arguments_are_named(name, kwargs, pattern):
    with pytest.raises(ValueError, match=f"{name}: {pattern}"):
        optim.SCHEDULES.get(name)(sgd(), **kwargs)


def test_schedule_of_a_non_optimizer_is_a_type_error():
    with pytest.raises(TypeError, match="StepLR: expected an optimizer"):
        optim.StepLR([Parameter(np.zeros(1))], step_size=2)


ROUND_TRIP = [
    "StepLR(step_size=3, gamma=0.5)",
    "MultiStepLR(milestones=[2, 5, 5, 9], gamma=0.1)",
    "ExponentialLR(gamma=0.9)",
    "CosineAnnealingLR(T_max=7, eta_min=0.001)",
    "CosineAnnealingWarmRestarts(T_0=3, T_mult=2, eta_min=0.01)",
    "LinearWarmup(warmup_steps=12, start_factor=0.1)",
    "LinearWarmup(warmup_steps=5, after=ReduceLROnPlateau(patience=1, cooldown=2, factor=0.5))",
    "ReduceLROnPlateau(factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.02)",
    "InvLR(gamma=0.1, power=0.75)",
    "PolyLR(max_iter=15, power=2.0)",
]


@pytest.mark.parametrize("through_npz", [False, True])
@pytest.mark.parametrize("text", ROUND_TRIP)
def test_state_round_trip_continues_identically(text, through_npz):
    metrics = [1.0 / (1 + (t % 7)) + 0.01 * t for t in range(20)]
    opt = sgd()
    sched = build(text, opt)
    straight = [sched.step(m) for m in metrics]
    opt = sgd()
    sched = build(text, opt)
    for m in metrics[:10]:
        sched.step(m)
    sd = sched.state_dict()
    sched.step(0.0)                                        # must not change the saved state
    if through_npz:
        sd = {k: ({kk: np.asarray(vv) for kk, vv in v.items()} if isinstance(v, dict) else np.asarray(v))
              for k, v in sd.items()}
    opt = sgd(0.5)                                         # a different starting lr: the state wins
    sched = build(text, opt)
    sched.load_state_dict(sd)
    assert opt.lr == straight[9]
    rest = [sched.step(m) for m in metrics[10:]]
    assert rest == straight[10:]
    with pytest.raises(ValueError, match="comes from a"):
        optim.StepLR(sgd(), step_size=1).load_state_dict(sd) if "StepLR" not in text else \
            optim.PolyLR(sgd(), max_iter=3).load_state_dict(sd)


# ---- horizons: "auto" follows the run's length; an explicit one shorter than the run warns ----

def _opt():
    return optim.SGD([Parameter(np.zeros(3))], lr=0.1)


@pytest.mark.parametrize("make,equal", [
    (lambda o: optim.CosineAnnealingLR(o, T_max="auto", eta_min=0.001),
     lambda o: optim.CosineAnnealingLR(o, T_max=12, eta_min=0.001)),
    (lambda o: optim.PolyLR(o, max_iter="auto", power=2.0), lambda o: optim.PolyLR(o, max_iter=12, power=2.0)),
    (lambda o: optim.LinearWarmup(o, 3, 0.1, after={"CosineAnnealingLR": {"T_max": "auto"}}),
     lambda o: optim.LinearWarmup(o, 3, 0.1, after={"CosineAnnealingLR": {"T_max": 9}})),
])
def test_auto_horizon_equals_the_explicit_run_length(make, equal):
    a, b = make(_opt()), equal(_opt())
    assert a.set_run_length(12) == [] and b.set_run_length(12) == []
    assert [a.step() for _ in range(14)] == [b.step() for _ in range(14)]


def test_auto_horizon_follows_a_longer_run_from_where_it_is():
    """A run resumed with more epochs: the cosine is stretched from the current epoch on."""
    s = optim.CosineAnnealingLR(_opt(), T_max="auto")
    s.set_run_length(4)
    for _ in range(2):
        s.step()
    state = s.state_dict()
    again = optim.CosineAnnealingLR(_opt(), T_max="auto").load_state_dict(state)
    again.set_run_length(10)
    assert again.optimizer.lr == pytest.approx(0.05 * (1 + math.cos(math.pi * 2 / 10)))
    assert [again.step() for _ in range(8)][-1] == pytest.approx(0.0, abs=1e-15)   # reaches eta_min at epoch 10


def test_unresolved_auto_horizon_starts_at_base_lr_and_refuses_to_step():
    s = optim.CosineAnnealingLR(_opt(), T_max="auto")
    assert s.optimizer.lr == 0.1
    with pytest.raises(ValueError, match="T_max is 'auto'.*set_run_length"):
        s.step()


def test_explicit_horizon_shorter_than_the_run_warns_once_per_horizon():
    notes = optim.CosineAnnealingLR(_opt(), T_max=25).set_run_length(100)
    assert notes == ["CosineAnnealingLR: T_max 25 is shorter than the run (100 epochs): past 25 epochs the "
                     "learning rate climbs back up; T_max: auto follows the run's length"]
    assert optim.CosineAnnealingLR(_opt(), T_max=100).set_run_length(100) == []
    assert "stays 0" in optim.PolyLR(_opt(), max_iter=5).set_run_length(6, "optimizer steps")[0]
    warm = optim.LinearWarmup(_opt(), 5, after={"CosineAnnealingLR": {"T_max": 20}})
    assert warm.set_run_length(100)[0].startswith("LinearWarmup's after: CosineAnnealingLR: T_max 20 is shorter "
                                                  "than the run (95 epochs after the warm-up)")
    assert optim.StepLR(_opt(), step_size=3).set_run_length(100) == []   # no horizon: nothing to say
    assert optim.CosineAnnealingWarmRestarts(_opt(), T_0=3).set_run_length(100) == []   # restarts are meant


@pytest.mark.parametrize("bad", ["Auto", 0, 2.5, True, None])
def test_horizon_is_an_integer_or_auto(bad):
    with pytest.raises(ValueError, match="T_max must be an integer >= 1 or 'auto'"):
        optim.CosineAnnealingLR(_opt(), T_max=bad)
