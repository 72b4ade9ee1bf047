"""LBFGS beyond the torch trajectories (tests/test_optim_torch_reference.py): exact
resume from state_dict (also through a checkpoint file) with the memory wrapped
around, the same minimum as scipy's L-BFGS-B, flat and scattered parameters giving
the same bits, float32, frozen parameters, and clear errors."""
import numpy as np
import pytest
from scipy.optimize import minimize

from kubik import layers, losses, nets, optim
from kubik.layers import Parameter
from kubik.nets import checkpoint


def textbook(seed=0, flat=False, dtype=np.float64):
    """The textbook net on fixed data, its weights drawn from ``seed``; (net, closure)."""
    rng = np.random.default_rng(100)
    X = rng.standard_normal((80, 4))
    y = (X[:, 0] - X[:, 1] * X[:, 2] > 0).astype(float)[:, None]
    layers.seed(seed)
    net = nets.Sequential(layers.Linear(4, 6), layers.Sigmoid(), layers.Linear(6, 1), layers.Sigmoid()).astype(dtype)
    if flat:
        net.flatten_parameters()
    loss = losses.BCE()
    X, y = X.astype(dtype), y.astype(dtype)

    def closure():
        net.zero_grad()
        value = loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        return value
    return net, closure


def weights(net):
    return np.concatenate([p.data.ravel() for p in net.parameters()])


def file_round_trip(state, tmp_path):
    """The state through an .npz file as a checkpoint stores it (arrays out, JSON-able rest)."""
    arrays = {}
    meta = checkpoint.flatten(state, "optimizer", arrays)
    np.savez(tmp_path / "opt.npz", **arrays)
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as f:
        return checkpoint.unflatten(meta, {k: f[k] for k in f.files})


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("through_file", [False, True])
def test_state_dict_round_trip_mid_run_continues_exactly(line_search_fn, through_file, tmp_path):
    kwargs = dict(lr=0.8, max_iter=4, history_size=3, line_search_fn=line_search_fn)
    net, closure = textbook()
    opt = optim.LBFGS(net.parameters(), **kwargs)
    for _ in range(3):                      # 12 iterations: the 3-pair memory has wrapped around
        opt.step(closure)
    saved_weights = net.state_dict()
    saved = opt.state_dict()
    assert saved["state"][0]["history_start"] != 0 and len(saved["state"][0]["old_dirs"]) == 3
    if through_file:
        saved = file_round_trip(saved, tmp_path)
    for _ in range(4):
        opt.step(closure)
    want = weights(net)
    other, other_closure = textbook(seed=1)            # other weights, then the saved ones
    other.load_state_dict(saved_weights)
    again = optim.LBFGS(other.parameters(), **kwargs).load_state_dict(saved)
    for _ in range(4):
        again.step(other_closure)
    np.testing.assert_array_equal(weights(other), want)
    assert (again.func_evals, again.n_iter) == (opt.func_evals, opt.n_iter)


def test_state_dict_is_a_copy_and_a_bad_one_changes_nothing():
    net, closure = textbook()
    opt = optim.LBFGS(net.parameters(), history_size=5)
    opt.step(closure)
    sd = opt.state_dict()
    sd["state"][0]["d"][...] = 0.0
    assert np.abs(opt.state[0]["d"]).max() > 0
    before = opt.state_dict()
    bad = opt.state_dict()
    bad["state"][0]["prev_flat_grad"] = bad["state"][0]["prev_flat_grad"][:-1]
    with pytest.raises(ValueError, match="prev_flat_grad.*expected"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["state"][0]["curvature"] = np.zeros(3)
    with pytest.raises(ValueError, match="unknown state \\['curvature'\\]"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["state"][0]["history_start"] = 7
    with pytest.raises(ValueError, match="history_start"):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    for k, v in before["state"][0].items():
        np.testing.assert_array_equal(after["state"][0][k], v)


def test_same_minimum_as_scipy_lbfgsb():
    """L2-regularized logistic regression (strictly convex): kubik's LBFGS and
    scipy.optimize.minimize(method="L-BFGS-B") agree on the minimizer and the minimum."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((120, 5))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) + 0.5 * rng.standard_normal(120) > 0).astype(float)[:, None]
    lam = 0.05
    lin = layers.Linear(5, 1, rng=0).astype(np.float64)
    bce = losses.BCEWithLogits()

    def value_and_grad(w):
        lin.weight.data[...] = w[:5, None]
        lin.bias.data[...] = w[5:]
        lin.zero_grad()
        v = bce.forward(lin.forward(X), y) + 0.5 * lam * float(w[:5] @ w[:5])
        lin.backward(bce.backward())
        return v, np.concatenate([lin.weight.grad[:, 0] + lam * w[:5], lin.bias.grad])

    ref = minimize(value_and_grad, np.zeros(6), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 1000})
    assert ref.success
    lin.weight.data[...] = 0.0
    lin.bias.data[...] = 0.0

    def closure():
        lin.zero_grad()
        w = lin.weight.data[:, 0]
        v = bce.forward(lin.forward(X), y) + 0.5 * lam * float(w @ w)
        lin.backward(bce.backward())
        lin.weight.grad[:, 0] += lam * w
        return v
    opt = optim.LBFGS(lin.parameters(), max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-15,
                      line_search_fn="strong_wolfe")
    opt.step(closure)
    mine = np.concatenate([lin.weight.data[:, 0], lin.bias.data])
    np.testing.assert_allclose(mine, ref.x, atol=1e-6)
    assert closure() == pytest.approx(ref.fun, abs=1e-6)
    assert np.abs(value_and_grad(mine)[1]).max() < 1e-8


def test_flat_buffer_and_separate_arrays_give_the_same_bits():
    runs = []
    for flat in (False, True):
        net, closure = textbook(flat=flat)
        opt = optim.LBFGS(net.parameters(), max_iter=5, history_size=4, line_search_fn="strong_wolfe")
        for _ in range(3):
            opt.step(closure)
        runs.append(weights(net))
    np.testing.assert_array_equal(*runs)


def test_float32_stays_float32_and_learns():
    net, closure = textbook(dtype=np.float32, flat=True)
    first = closure()
    opt = optim.LBFGS(net.parameters(), line_search_fn="strong_wolfe")
    opt.step(closure)
    assert all(p.data.dtype == np.float32 for p in net.parameters())
    assert opt.state[0]["d"].dtype == np.float32
    assert closure() < 0.5 * first


def test_frozen_parameters_stay_and_a_change_mid_run_is_refused():
    net, closure = textbook()
    net[0].weight.requires_grad = False
    frozen = net[0].weight.data.copy()
    opt = optim.LBFGS(net.parameters(), max_iter=3)
    opt.step(closure)
    np.testing.assert_array_equal(net[0].weight.data, frozen)
    assert opt.state[0]["d"].size == sum(p.size for p in net.parameters()) - frozen.size
    net[0].weight.requires_grad = True
    with pytest.raises(ValueError, match="frozen or unfrozen mid-run"):
        opt.step(closure)


def test_argument_and_usage_errors():
    p = Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS([p], line_search_fn="wolfe")
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        optim.LBFGS([p], max_iter=0)
    with pytest.raises(ValueError, match="history_size must be an integer >= 1"):
        optim.LBFGS([p], history_size=0)
    with pytest.raises(ValueError, match="one parameter group"):
        optim.LBFGS([{"params": [p]}, {"params": [Parameter(np.zeros(2))]}])
    with pytest.raises(TypeError, match="needs a closure"):
        optim.LBFGS([p]).step()


def test_converged_start_returns_at_once_and_stops_on_tolerances():
    p = Parameter(np.zeros(3))
    calls = []

    def closure():
        calls.append(1)
        p.zero_grad()
        p.grad[...] += 2 * (p.data - 1.0)
        return float(((p.data - 1.0) ** 2).sum())
    opt = optim.LBFGS([p], line_search_fn="strong_wolfe")
    assert opt.step(closure) == 3.0
    np.testing.assert_allclose(p.data, 1.0, atol=1e-12)          # a quadratic: exact after a few iterations
    n = len(calls)
    opt.step(closure)                                           # the gradient is below tolerance_grad
    assert len(calls) == n + 1 and opt.n_iter < 20
