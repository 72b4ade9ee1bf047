"""Optimizers: hand-computed steps, validation, groups and multipliers,
freezing, float32, state round trips."""
import copy
import math

import numpy as np
import pytest

from kubik import layers
from kubik import nets
from kubik import optim
from kubik.layers import Parameter

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
# arguments that switch on every state array and branch of each optimizer
RICH = {
    "SGD": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.05),
    "AdamW": dict(lr=0.01, amsgrad=True),
    "RMSprop": dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01),
    "Adagrad": dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
}


def make(name, params, **kw):
    return optim.OPTIMIZERS.get(name)(params, **kw)


# -- hand-computed steps ------------------------------------------------------------------
def test_sgd_plain_momentum_and_nesterov_by_hand():
    p = Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad[...] = [0.5, 1.0]
    opt.step()                                  # b = g
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=1e-15)
    opt.step()                                  # b = 0.9 g + g = 1.9 g
    np.testing.assert_allclose(p.data, [0.95 - 0.095, -2.1 - 0.19], rtol=1e-15)
    q = Parameter(np.array([1.0]))
    opt = optim.SGD([q], lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.2)
    q.grad[...] = 1.0
    opt.step()                                  # g = 1 + 0.2 = 1.2; b = 1.2; step g + 0.5 b = 1.8
    np.testing.assert_allclose(q.data, [1.0 - 0.18], rtol=1e-15)
    r = Parameter(np.array([0.0]))
    opt = optim.SGD([r], lr=1.0, momentum=0.5, dampening=0.5)
    r.grad[...] = 2.0
    opt.step(); opt.step()                      # b1 = 2 (no dampening at first), b2 = 1 + 0.5·2 = 2
    np.testing.assert_allclose(r.data, [-4.0], rtol=1e-15)


def test_adam_first_step_moves_each_element_by_lr():
    p = Parameter(np.array([1.0, 1.0, 1.0]))
    opt = optim.Adam([p], lr=0.1)
    p.grad[...] = [0.5, -2.0, 0.0]
    opt.step()                                  # m̂ = g, v̂ = g²: step lr·g/(|g| + eps)
    np.testing.assert_allclose(p.data, [0.9, 1.1, 1.0], rtol=1e-7)
    st = opt.state[0]
    np.testing.assert_allclose(st["exp_avg"], [0.05, -0.2, 0.0], rtol=1e-15)
    np.testing.assert_allclose(st["exp_avg_sq"], [0.00025, 0.004, 0.0], rtol=1e-12)
    assert st["step"] == 1


def test_adam_second_step_by_hand():
    p = Parameter(np.array([0.0]))
    opt = optim.Adam([p], lr=0.1, betas=(0.5, 0.75), eps=1e-8)
    for g in (1.0, 3.0):
        p.grad[...] = g
        opt.step()
    m = 0.5 * 0.5 * 1.0 + 0.5 * 3.0             # 1.75
    v = 0.75 * 0.25 * 1.0 + 0.25 * 9.0           # 2.4375
    step1 = 0.1 * 1.0 / (1.0 + 1e-8)
    step2 = 0.1 / (1 - 0.25) * m / (math.sqrt(v) / math.sqrt(1 - 0.5625) + 1e-8)
    np.testing.assert_allclose(p.data, [-step1 - step2], rtol=1e-12)


def test_adam_weight_decay_is_coupled_adamw_decoupled():
    p, q = Parameter(np.array([1.0, 1.0])), Parameter(np.array([1.0, 1.0]))
    p.grad[...] = [0.5, 0.0]
    q.grad[...] = [0.5, 0.0]
    optim.AdamW([p], lr=0.1, weight_decay=0.1).step()
    np.testing.assert_allclose(p.data, [0.99 - 0.1, 0.99], rtol=1e-7)   # θ·(1 − lr·wd), then Adam
    optim.Adam([q], lr=0.1, weight_decay=0.1).step()
    np.testing.assert_allclose(q.data, [0.9, 0.9], rtol=1e-7)          # g + wd·θ = (0.6, 0.1): both ±lr
    assert optim.AdamW([Parameter(np.zeros(1))]).param_groups[0]["weight_decay"] == 0.01


def test_rmsprop_first_step_by_hand():
    p = Parameter(np.array([1.0, 1.0, 1.0]))
    opt = optim.RMSprop([p], lr=0.01)
    p.grad[...] = [4.0, -0.5, 0.0]
    opt.step()                                   # s = 0.01 g², step = lr·g/(0.1|g| + eps) = 0.1·sign(g)
    np.testing.assert_allclose(p.data, [0.9, 1.1, 1.0], rtol=1e-7)
    q = Parameter(np.array([0.0]))
    opt = optim.RMSprop([q], lr=0.01, alpha=0.5, centered=True, momentum=0.9)
    q.grad[...] = 2.0
    opt.step()                                   # s = 2, ḡ = 1, d = √(2 − 1) = 1; b = 2; θ = −0.02
    np.testing.assert_allclose(q.data, [-0.02], rtol=1e-7)
    opt.step()                                   # s = 3, ḡ = 1.5, d = √0.75; b = 0.9·2 + 2/√0.75
    np.testing.assert_allclose(q.data, [-0.02 - 0.01 * (1.8 + 2 / math.sqrt(0.75))], rtol=1e-7)


def test_adagrad_steps_by_hand():
    p = Parameter(np.array([1.0, 1.0]))
    opt = optim.Adagrad([p], lr=0.1, initial_accumulator_value=1.0, lr_decay=0.5)
    p.grad[...] = [0.75, 0.0]
    opt.step()                                   # S = 1 + g²: step 0.1·0.75/1.25
    np.testing.assert_allclose(p.data, [1.0 - 0.06, 1.0], rtol=1e-9)
    opt.step()                                   # clr = 0.1/1.5, S = 1 + 2·0.5625
    np.testing.assert_allclose(p.data, [0.94 - 0.1 / 1.5 * 0.75 / math.sqrt(2.125), 1.0], rtol=1e-9)
    np.testing.assert_allclose(opt.state[0]["sum"], [2.125, 1.0], rtol=1e-15)


# -- counters, groups, multipliers, freezing ----------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_step_count_counts_optimizer_steps(name):
    ps = [Parameter(np.ones(3)), Parameter(np.ones((2, 2))), Parameter(np.ones(1))]
    opt = make(name, ps, lr=0.01)
    for _ in range(3):
        for p in ps:
            p.grad[...] = 0.1
        opt.step()
    assert opt.step_count == 3
    for st in opt.state:
        assert int(st.get("step", 3)) == 3


@pytest.mark.parametrize("name", ALL)
def test_frozen_parameter_is_not_touched(name):
    a, b = Parameter(np.ones(3)), Parameter(np.ones(3), requires_grad=False)
    opt = make(name, [a, b], **RICH[name])
    for _ in range(3):
        a.grad[...] = b.grad[...] = 0.5
        opt.step()
    np.testing.assert_array_equal(b.data, np.ones(3))
    assert not (a.data == 1).any()
    assert not any(not k.startswith("_") for k in opt.state[1])


@pytest.mark.parametrize("name", ALL)
def test_lr_mult_and_group_lr_scale_the_step(name):
    kw = dict(RICH[name], weight_decay=0.0)
    ref, half, grouped = (Parameter(np.ones(4)) for _ in range(3))
    half.lr_mult = 0.5
    opt_ref = make(name, [ref], **kw)
    opt_half = make(name, [half], **kw)
    opt_group = make(name, [{"params": [grouped], "lr": kw["lr"] * 0.5}], **kw)
    for t in range(3):
        for p in (ref, half, grouped):
            p.grad[...] = [0.3, -0.2, 0.1, 0.05 * t]
        for o in (opt_ref, opt_half, opt_group):
            o.step()
    np.testing.assert_allclose(half.data - 1, grouped.data - 1, rtol=1e-12)
    if name in ("SGD", "Adagrad", "Adam", "AdamW"):   # updates linear in lr for a fixed gradient path
        np.testing.assert_allclose(half.data - 1, (ref.data - 1) / 2, rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_decay_mult_zero_removes_weight_decay(name):
    kw = dict(RICH[name], weight_decay=0.1)
    a, b, c = Parameter(np.ones(3)), Parameter(np.ones(3), decay_mult=0.0), Parameter(np.ones(3))
    o1 = make(name, [a], **dict(kw, weight_decay=0.0))
    o2 = make(name, [b], **kw)
    o3 = make(name, [{"params": [c], "decay_mult": 0.0}], **kw)
    for _ in range(3):
        for p in (a, b, c):
            p.grad[...] = [0.1, -0.3, 0.0]
        for o in (o1, o2, o3):
            o.step()
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.data, c.data)


def test_param_groups_no_decay_splits_biases_and_norm_parameters():
    net = nets.Sequential(layers.Linear(3, 4, rng=0), layers.Tanh(), layers.Linear(4, 2, rng=1))
    groups = optim.param_groups_no_decay(net)
    assert [len(g["params"]) for g in groups] == [2, 2]
    assert groups[0]["params"] == [net.parameters()[0], net.parameters()[2]]
    assert groups[1]["decay_mult"] == 0.0
    named = [("bn.weight", Parameter(np.ones(4))), ("conv.weight", Parameter(np.ones((2, 2)))),
             ("head.bias", Parameter(np.ones(2)))]
    custom = optim.param_groups_no_decay(named, no_decay=lambda n, p: n.endswith("bias"), lr=0.5)
    assert [len(g["params"]) for g in custom] == [2, 1] and custom[0]["lr"] == 0.5
    before = [p.data.copy() for p in net.parameters()]
    opt = optim.SGD(optim.param_groups_no_decay(net), lr=0.1, weight_decay=0.5)
    opt.step()                                   # zero gradients: only weight decay moves things
    after = net.parameters()
    np.testing.assert_allclose(after[0].data, before[0] * 0.95, rtol=1e-6)
    np.testing.assert_array_equal(after[1].data, before[1])
    np.testing.assert_array_equal(after[3].data, before[3])
    with pytest.raises(TypeError, match="param_groups_no_decay"):
        optim.param_groups_no_decay([np.ones(3)])


def test_schedule_changes_every_group_through_opt_lr():
    a, b = Parameter(np.zeros(1)), Parameter(np.zeros(1))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)
    opt.lr = 0.01                                # what a schedule does
    a.grad[...] = b.grad[...] = 1.0
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [-0.01, -0.005], rtol=1e-12)


# -- validation -----------------------------------------------------------------------------
BAD = [
    ("SGD", dict(lr=-0.1), ValueError, "lr"),
    ("SGD", dict(lr=float("nan")), ValueError, "lr"),
    ("SGD", dict(momentum=-0.5), ValueError, "momentum"),
    ("SGD", dict(dampening=1.5), ValueError, "dampening"),
    ("SGD", dict(nesterov=True), ValueError, "nesterov"),
    ("SGD", dict(nesterov="yes", momentum=0.9), TypeError, "nesterov"),
    ("SGD", dict(weight_decay=-1e-4), ValueError, "weight_decay"),
    ("Adam", dict(betas=(1.0, 0.999)), ValueError, r"betas\[0\].*1\.0"),
    ("Adam", dict(betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
    ("Adam", dict(betas=(0.9,)), ValueError, "betas"),
    ("Adam", dict(eps=0.0), ValueError, "eps"),
    ("Adam", dict(amsgrad=1), TypeError, "amsgrad"),
    ("AdamW", dict(weight_decay=-0.01), ValueError, "weight_decay"),
    ("AdamW", dict(lr="0.1"), ValueError, "lr"),
    ("RMSprop", dict(alpha=1.5), ValueError, "alpha"),
    ("RMSprop", dict(eps=-1e-8), ValueError, "eps"),
    ("RMSprop", dict(momentum=-1), ValueError, "momentum"),
    ("Adagrad", dict(lr_decay=-0.1), ValueError, "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1), ValueError, "initial_accumulator_value"),
    ("Adagrad", dict(eps=0), ValueError, "eps"),
]


@pytest.mark.parametrize("name, kwargs, exc, pattern", BAD, ids=[f"{n}-{list(k)[0]}" for n, k, _, _ in BAD])
def test_bad_arguments_are_named(name, kwargs, exc, pattern):
    with pytest.raises(exc, match=f"{name}.*{pattern}"):
        make(name, [Parameter(np.zeros(2))], **kwargs)


def test_bad_groups_and_params():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="unknown option.*'betas'"):
        optim.SGD([{"params": [p], "betas": (0.9, 0.99)}])
    with pytest.raises(ValueError, match=r"Adam: betas\[0\]"):
        optim.Adam([{"params": [p], "betas": (1.2, 0.99)}])
    with pytest.raises(ValueError, match="more than one group"):
        optim.SGD([{"params": [p]}, {"params": [p]}])
    with pytest.raises(TypeError, match="expected Parameters"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])


def test_registry_has_every_optimizer():
    assert set(ALL) <= set(optim.OPTIMIZERS.names())
    with pytest.raises(ValueError, match="did you mean 'Adam'"):
        optim.OPTIMIZERS.get("Adma")


# -- dtype and buffers --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_float32_stays_float32_even_with_numpy_float64_arguments(name):
    kw = {k: (np.float64(v) if isinstance(v, float) else v) for k, v in RICH[name].items()}
    p, q = Parameter(np.ones((3, 2), np.float32)), Parameter(np.ones((3, 2), np.float32))
    o1, o2 = make(name, [p], **kw), make(name, [q], **RICH[name])
    o1.lr = np.float64(o1.lr)
    for t in range(3):
        p.grad[...] = q.grad[...] = np.float32(0.1 * (t + 1))
        o1.step(); o2.step()
    assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in o1.state[0].items() if isinstance(v, np.ndarray) and v.ndim)
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name", ALL)
def test_state_and_scratch_arrays_are_reused(name):
    ps = [Parameter(np.ones((4, 3), np.float32)), Parameter(np.ones(3, np.float32))]
    opt = make(name, ps, **RICH[name])
    ids = None
    for _ in range(3):
        for p in ps:
            p.grad[...] = 0.2
        opt.step()
        now = [{k: id(v) for k, v in st.items() if isinstance(v, np.ndarray) and v.ndim} for st in opt.state]
        assert ids is None or now == ids
        ids = now
    assert all(buf.size == 12 for buf in opt._pool.values())   # one flat scratch per slot, shared


# -- state round trips --------------------------------------------------------------------------
def like_npz(obj):
    """What a checkpoint gives back: numbers and lists as (0-d) arrays, dict keys as strings."""
    if isinstance(obj, dict):
        return {str(k): like_npz(v) for k, v in obj.items()}
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        return [like_npz(v) for v in obj]
    return np.asarray(obj)


def grads_at(t, params):
    for i, p in enumerate(params):
        p.grad[...] = np.sin(0.37 * t + np.arange(p.size).reshape(p.shape) + i)


@pytest.mark.parametrize("through_npz", [False, True])
@pytest.mark.parametrize("name", ALL)
def test_save_load_continue_is_bit_identical(name, through_npz):
    def fresh():
        rng = np.random.default_rng(0)
        ps = [Parameter(rng.standard_normal((3, 4)).astype(np.float32)),
              Parameter(rng.standard_normal(4).astype(np.float32), lr_mult=2.0, decay_mult=0.0)]
        opt = make(name, [{"params": [ps[0]]}, {"params": [ps[1]], "lr": RICH[name]["lr"] * 0.5}], **RICH[name])
        sched = optim.LinearWarmup(opt, warmup_steps=3, start_factor=0.2, after=optim.CosineAnnealingLR(opt, T_max=15))
        return ps, opt, sched

    ps, opt, sched = fresh()
    for t in range(20):
        grads_at(t, ps); opt.step(); sched.step()
    straight = [p.data.copy() for p in ps]

    ps, opt, sched = fresh()
    for t in range(10):
        grads_at(t, ps); opt.step(); sched.step()
    saved_params = copy.deepcopy([p.data for p in ps])
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    grads_at(99, ps); opt.step(); sched.step()     # going on must not change what was saved
    if through_npz:
        saved_opt, saved_sched = like_npz(saved_opt), like_npz(saved_sched)

    ps, opt, sched = fresh()
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    for p, d in zip(ps, saved_params):
        p.data[...] = d
    for t in range(10, 20):
        grads_at(t, ps); opt.step(); sched.step()
    for a, b in zip(ps, straight):
        assert np.array_equal(a.data, b)
    assert opt.step_count == 20 and sched.last_epoch == 20


def test_load_state_dict_rejects_mismatch_and_changes_nothing():
    p = Parameter(np.ones(3))
    opt = optim.Adam([p], lr=0.1)
    p.grad[...] = 1.0
    opt.step()
    sd = opt.state_dict()
    other = optim.Adam([Parameter(np.ones(4))], lr=0.1)
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict(sd)
    assert other.state == [{}] and other.step_count == 0
    with pytest.raises(ValueError, match="comes from a Adam"):
        optim.SGD([p]).load_state_dict(sd)
    bad = copy.deepcopy(sd)
    bad["param_groups"][0]["betas"] = (0.9, 1.5)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("name", ALL)
def test_parameters_converted_to_float64_mid_training_keep_working(name):
    p, q = Parameter(np.ones(3, np.float32)), Parameter(np.ones(3, np.float64))
    o1, o2 = make(name, [p], **RICH[name]), make(name, [q], **RICH[name])
    for t in range(4):
        if t == 2:
            p.astype(np.float64)                 # e.g. a gradient check between steps
        p.grad[...] = q.grad[...] = 0.25 * (t + 1)
        o1.step(); o2.step()
    assert p.data.dtype == np.float64
    np.testing.assert_allclose(p.data, q.data, rtol=1e-6)
