"""Optimizer trajectories against recorded torch.optim values.

A (2, 3) float64 parameter starts at θ₀[j] = 0.5 − 0.3·j; at step t = 1..50 its
gradient is g_t[j] = sin(0.7·t + 1.3·j)·(1 + 0.5·j) (the last element's is 0).
The reference numbers were recorded once with torch 2.13 (float64,
foreach=False) running the same optimizer with the same arguments; the test
does not import torch. The optimizers added later (Adadelta, Adamax, NAdam,
RAdam, Rprop) and LBFGS (its closure interface, both line searches, on the
textbook net and on the Rosenbrock function) are checked at every step against
tests/data/torch_optim_reference.npz, written by tests/torch_reference/record_optim.py.
"""
import json
import math
import pathlib

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.layers import Parameter

pytestmark = pytest.mark.usefixtures("backend")  # every test on the numpy and the numba path


def gradient(t):
    return np.array([math.sin(0.7 * t + 1.3 * j) * (1 + 0.5 * j) if j < 5 else 0.0 for j in range(6)]).reshape(2, 3)


TORCH = [
    ('SGD', {'lr': 0.1}, {
        1: [0.435578231276231, 0.0636053859761478, -0.0684508611713503, -0.151577249091634, -0.587837000550929, -1.0],
        10: [0.433441281736579, 0.0610105959619222, -0.0660279041969328, -0.145632253686763, -0.5876547656758, -1.0],
        50: [0.260649736324747, 0.326304864540522, 0.468797602854977, -0.230126376347088, -1.44413801546319, -1.0],
    }),
    ('SGD', {'lr': 0.05, 'momentum': 0.9}, {
        1: [0.467789115638115, 0.131802692988074, -0.0842254305856752, -0.275788624545817, -0.643918500275465, -1.0],
        10: [0.135838733152804, 0.25382796942072, 0.666719650407147, 0.0230282385505459, -1.57849653572098, -1.0],
        50: [-0.288064551402607, 0.19768591260307, 1.47447839435717, 0.656784627791385, -2.38326483143337, -1.0],
    }),
    ('SGD', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.5, 'weight_decay': 0.01}, {
        1: [0.467539115638115, 0.131702692988074, -0.0841754305856752, -0.275588624545817, -0.643568500275465, -0.9995],
        10: [0.208665087331813, 0.00382453956490765, 0.333686298708227, 0.216983058113956, -0.947342827833891, -0.988055937267314],
        50: [-0.0657906846055786, -0.136320355338335, 0.714928761361949, 0.705494066280175, -1.15255647385244, -0.898664073565634],
    }),
    ('SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 0.01}, {
        1: [0.438324319712419, 0.0702351166773404, -0.0699333181127828, -0.163618386637052, -0.592780150523383, -0.99905],
        10: [0.133867343272662, 0.176062856542197, 0.597410918110845, 0.106281864262131, -1.40715874766618, -0.976523820709607],
        50: [-0.316819306229097, 0.215076848475042, 1.397214001029, 0.576088967555329, -2.20389262568481, -0.805661186395664],
    }),
    ('Adam', {'lr': 0.01}, {
        1: [0.490000000155227, 0.190000000073317, -0.0900000003169658, -0.390000000040254, -0.690000000089156, -1.0],
        10: [0.457329004456324, 0.187422942632773, -0.0522341792072124, -0.3723437799396, -0.716678144796573, -1.0],
        50: [0.442860141396807, 0.185891286635143, -0.0381966518053124, -0.36360795738905, -0.725984403465641, -1.0],
    }),
    ('Adam', {'lr': 0.01, 'amsgrad': True, 'weight_decay': 0.1}, {
        1: [0.490000000144047, 0.190000000072257, -0.0900000003072278, -0.390000000039616, -0.690000000083919, -0.990000001],
        10: [0.453747280457665, 0.186105433478437, -0.0519492305857188, -0.370961968455887, -0.713805339151141, -0.900349663654291],
        50: [0.415242629408001, 0.177715730786872, -0.0366525537699606, -0.354186404120619, -0.70957295627092, -0.536821218568294],
    }),
    ('Adam', {'lr': 0.02, 'betas': (0.8, 0.99), 'eps': 1e-06}, {
        1: [0.480000031045358, 0.180000014663325, -0.0800000633929715, -0.380000008050789, -0.680000017831176, -1.0],
        10: [0.432913778181463, 0.181192959988039, -0.0203705029781444, -0.358302742265637, -0.725935214393502, -1.0],
        50: [0.403711507442326, 0.175142694640062, 0.0063239213191979, -0.338653715015646, -0.74183395679666, -1.0],
    }),
    ('AdamW', {'lr': 0.01}, {
        1: [0.489950000155227, 0.189980000073317, -0.0899900003169658, -0.389960000040254, -0.689930000089156, -0.9999],
        10: [0.45686184245074, 0.187237751561728, -0.0521686041234836, -0.371968166743943, -0.715971993031778, -0.999000449880021],
        50: [0.440608249726233, 0.184960328270115, -0.0379623917903609, -0.361769206231045, -0.72239224916902, -0.995012230423009],
    }),
    ('AdamW', {'lr': 0.01, 'amsgrad': True, 'weight_decay': 0.1}, {
        1: [0.489500000155227, 0.189800000073317, -0.0899000003169658, -0.389600000040254, -0.689300000089156, -0.999],
        10: [0.452675752381407, 0.185578524535528, -0.0515815174521087, -0.368603006742842, -0.709642342015285, -0.990044880209748],
        50: [0.420831189020539, 0.176780182778169, -0.035911137911514, -0.345621571122482, -0.690832351041028, -0.951205628197031],
    }),
    ('RMSprop', {'lr': 0.01}, {
        1: [0.400000015522701, 0.100000007331667, -3.16965762109378e-08, -0.300000004025396, -0.600000008915595, -1.0],
        10: [0.355712432248859, 0.132191695425985, 0.0960752278920616, -0.298869466696252, -0.718808801422051, -1.0],
        50: [0.300649504258744, 0.191633773386435, 0.185582025612997, -0.311314776419905, -0.816446518511884, -1.0],
    }),
    ('RMSprop', {'lr': 0.01, 'centered': True, 'momentum': 0.9, 'weight_decay': 0.01}, {
        1: [0.399496234032818, 0.09949622586896, 0.00050374961033907, -0.299496222533599, -0.599496227423876, -0.899497228564937],
        10: [-0.598207756092701, 0.000956471501674125, 1.4728091612724, 0.168274580386382, -1.14807990600782, 0.542615068939877],
        50: [-1.21985611615063, -0.0732405827789176, 2.37280024169744, 0.517223105126851, -1.50429203842727, -0.0334904212921534],
    }),
    ('RMSprop', {'lr': 0.005, 'alpha': 0.9, 'momentum': 0.5, 'eps': 1e-06}, {
        1: [0.484188689312293, 0.184188648357412, -0.0841887701805008, -0.384188631826113, -0.684188656277013, -1.0],
        10: [0.459926588449502, 0.188673062765909, -0.03862310903156, -0.377840945091999, -0.71140442947814, -1.0],
        50: [0.431260606551688, 0.194364226505801, -0.00629161282694834, -0.366745450142358, -0.737645863909757, -1.0],
    }),
    ('Adagrad', {'lr': 0.1}, {
        1: [0.400000000015523, 0.100000000007332, -3.16965481639286e-11, -0.300000000004025, -0.600000000008916, -1.0],
        10: [0.354857347568491, 0.132889036250745, 0.0975630309754054, -0.298978017520106, -0.720188803982517, -1.0],
        50: [0.302837117235997, 0.18930149038491, 0.182387417823193, -0.310829341794167, -0.812922334791508, -1.0],
    }),
    ('Adagrad', {'lr': 0.1, 'lr_decay': 0.01, 'weight_decay': 0.05, 'initial_accumulator_value': 0.1, 'eps': 1e-06}, {
        1: [0.409586126791255, 0.102547962640385, -0.0288175804124205, -0.300787930174199, -0.60354029834756, -0.984382672591475],
        10: [0.358862023325572, 0.134660767479113, 0.0689396512221772, -0.297543349398535, -0.718527877192027, -0.865879682636991],
        50: [0.302867655266644, 0.177103841694169, 0.137084261111983, -0.302651976764899, -0.785111273037223, -0.5770930891551],
    }),
]


@pytest.mark.parametrize("name, kwargs, expected", TORCH,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(TORCH)])
def test_trajectory_matches_torch(name, kwargs, expected):
    p = Parameter(np.array([0.5 - 0.3 * j for j in range(6)]).reshape(2, 3))
    opt = optim.OPTIMIZERS.get(name)([p], **kwargs)
    for t in range(1, 51):
        p.grad[...] = gradient(t)
        opt.step()
        if t in expected:
            np.testing.assert_allclose(p.data.ravel(), expected[t], rtol=1e-11, atol=1e-13,
                                       err_msg=f"{name}{kwargs} after step {t}")
    assert opt.step_count == 50


def test_trajectory_check_can_fail():
    """A slightly different argument must miss the recorded values."""
    name, kwargs, expected = TORCH[4]       # Adam(lr=0.01)
    p = Parameter(np.array([0.5 - 0.3 * j for j in range(6)]).reshape(2, 3))
    opt = optim.Adam([p], **{**kwargs, "betas": (0.9, 0.99)})
    for t in range(1, 11):
        p.grad[...] = gradient(t)
        opt.step()
    assert not np.allclose(p.data.ravel(), expected[10], rtol=1e-11, atol=1e-13)


# -- recorded by tests/torch_reference/record_optim.py (tests/data/torch_optim_reference.npz) ----------------
DATA = pathlib.Path(__file__).parent / "data" / "torch_optim_reference.npz"
with np.load(DATA, allow_pickle=False) as _f:
    REF = {k: _f[k] for k in _f.files}
RULE_CASES = sorted(k.split("/")[0] for k in REF if k.endswith("/theta"))
LBFGS_CASES = sorted(k.split("/")[0] for k in REF if k.endswith("/problem"))


def _kwargs(case):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(str(REF[f"{case}/kwargs"])).items()}


def _rule_trajectory(case, cls=None, **override):
    p = Parameter(np.array([0.5 - 0.3 * j for j in range(6)]).reshape(2, 3))
    opt = (cls or optim.OPTIMIZERS.get(str(REF[f"{case}/name"])))([p], **{**_kwargs(case), **override})
    out = []
    for t in range(1, 51):
        p.grad[...] = gradient(t)
        opt.step()
        out.append(p.data.ravel().copy())
    return np.array(out)


@pytest.mark.parametrize("case", RULE_CASES)
def test_recorded_trajectory_matches_torch_at_every_step(case):
    np.testing.assert_allclose(_rule_trajectory(case), REF[f"{case}/theta"], rtol=1e-11, atol=1e-13, err_msg=case)


def test_every_optimizer_has_a_torch_trajectory():
    recorded = {n for n, _, _ in TORCH} | {str(REF[f"{c}/name"]) for c in RULE_CASES + LBFGS_CASES}
    registered = {n for n, cls in optim.OPTIMIZERS.items() if cls.__name__ == n}
    assert registered <= recorded, f"optimizers without a torch trajectory: {sorted(registered - recorded)}"


def test_recorded_trajectory_check_can_fail():
    """Negative controls: another argument, or NAdam without its momentum schedule, misses."""
    assert not np.allclose(_rule_trajectory("adadelta", rho=0.85), REF["adadelta/theta"], rtol=1e-11, atol=1e-13)

    class NoSchedule(optim.NAdam):          # μₜ fixed at β₁: NAdam's momentum_decay ignored
        def update(self, p, state, lr, wd, group):
            super().update(p, state, lr, wd, {**group, "momentum_decay": 0.0})
    assert not np.allclose(_rule_trajectory("nadam_momentum_decay", cls=NoSchedule),
                           REF["nadam_momentum_decay/theta"], rtol=1e-11, atol=1e-13)


def lbfgs_problem(problem):
    """(parameters, closure) of a recorded LBFGS problem, in float64."""
    if problem == "net":
        X, y = REF["net/X"], REF["net/y"]
        net = nets.Sequential(layers.Linear(5, 8), layers.Sigmoid(), layers.Linear(8, 1), layers.Sigmoid())
        net.astype(np.float64)
        net.load_state_dict({k: v.T if k.endswith("weight") else v for k, v in
                             ((k.split("/", 2)[2], REF[k]) for k in REF if k.startswith("net/init/"))})
        loss = losses.BCE()

        def closure():
            net.zero_grad()
            value = loss.forward(net.forward(X), y)
            net.backward(loss.backward())
            return value
        # torch's flat order: each Linear's weight (out, in) row-major, then its bias
        return net, closure, lambda: np.concatenate([net[0].weight.data.T.ravel(), net[0].bias.data,
                                                     net[2].weight.data.T.ravel(), net[2].bias.data])
    x = Parameter(np.linspace(-1.0, 1.5, 6))

    def closure():
        x.zero_grad()
        v = x.data
        g = np.zeros_like(v)
        g[:-1] += -400 * v[:-1] * (v[1:] - v[:-1] ** 2) - 2 * (1 - v[:-1])
        g[1:] += 200 * (v[1:] - v[:-1] ** 2)
        x.grad[...] += g
        return float(np.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2))
    return x, closure, lambda: x.data.copy()


@pytest.mark.parametrize("case", LBFGS_CASES)
def test_lbfgs_matches_torch_over_20_steps(case):
    owner, closure, flat = lbfgs_problem(str(REF[f"{case}/problem"]))
    params = owner.parameters() if hasattr(owner, "parameters") else [owner]
    opt = optim.LBFGS(params, **_kwargs(case))
    for step in range(20):
        value = opt.step(closure)
        assert value == pytest.approx(REF[f"{case}/loss"][step], rel=1e-8, abs=1e-12), (case, step)
        np.testing.assert_allclose(flat(), REF[f"{case}/x"][step], rtol=0, atol=1e-8, err_msg=f"{case} step {step}")
        assert (opt.func_evals, opt.n_iter) == (REF[f"{case}/evals"][step], REF[f"{case}/iters"][step]), (case, step)


def test_lbfgs_check_can_fail():
    """Negative control: the first direction not scaled by H_diag (a plain gradient step
    in the memory's place) misses torch's trajectory."""
    from kubik.optim.lbfgs_history import History
    case = "lbfgs_net_strong_wolfe"
    owner, closure, flat = lbfgs_problem("net")
    opt = optim.LBFGS(owner.parameters(), **_kwargs(case))
    real = History.direction
    try:
        History.direction = lambda self, g, H_diag: real(self, g, 1.0)
        for _ in range(5):
            opt.step(closure)
    finally:
        History.direction = real
    assert np.abs(flat() - REF[f"{case}/x"][4]).max() > 1e-8
