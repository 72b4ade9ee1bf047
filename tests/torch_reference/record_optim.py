"""Record torch.optim trajectories for tests/test_optim_torch_reference.py.

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_optim.py

1. The optimizers with an update rule (foreach=False, float64): a (2, 3) parameter
   starting at θ₀[j] = 0.5 − 0.3·j gets at step t = 1..50 the gradient
   g_t[j] = sin(0.7·t + 1.3·j)·(1 + 0.5·j) (the last element's is 0); the parameter
   after every step is kept ('<case>/theta', shape (50, 6)).
2. LBFGS with its closure, both line-search settings, 20 steps each, on
   - the textbook net: Linear(5, 8)-Sigmoid-Linear(8, 1)-Sigmoid, BCE, on 64 fixed
     samples (float64; the initial weights, torch's orientation, and the data are stored);
   - the Rosenbrock function in 6 dimensions from x₀ = linspace(−1, 1.5, 6).
   After every step: the parameters as one vector ('<case>/x', (20, n)), the value the
   step returned ('<case>/loss'), func_evals and n_iter ('<case>/evals', '<case>/iters').

Written to tests/data/torch_optim_reference.npz, with each case's kubik class name and
arguments as JSON ('<case>/name', '<case>/kwargs').
"""
import json
import math
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_optim_reference.npz"

RULES = {   # case: (torch.optim class, arguments)
    "adadelta": ("Adadelta", {}),
    "adadelta_wd": ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1}),
    "adamax": ("Adamax", {}),
    "adamax_wd": ("Adamax", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.05}),
    "nadam": ("NAdam", {}),
    "nadam_momentum_decay": ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    "nadam_decoupled": ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "radam": ("RAdam", {}),
    "radam_wd": ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    "radam_decoupled": ("RAdam", {"lr": 0.01, "betas": [0.5, 0.9], "weight_decay": 0.1,
                                  "decoupled_weight_decay": True}),
    "rprop": ("Rprop", {}),
    "rprop_etas": ("Rprop", {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-3, 0.2]}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
}
LBFGS = {   # case: (problem, arguments)
    "lbfgs_net": ("net", {}),
    "lbfgs_net_strong_wolfe": ("net", {"line_search_fn": "strong_wolfe"}),
    "lbfgs_net_short_memory": ("net", {"max_iter": 5, "history_size": 4}),
    "lbfgs_net_short_memory_strong_wolfe": ("net", {"max_iter": 5, "history_size": 4, "line_search_fn": "strong_wolfe"}),
    "lbfgs_rosenbrock_strong_wolfe": ("rosenbrock", {"line_search_fn": "strong_wolfe"}),
    "lbfgs_rosenbrock_lr": ("rosenbrock", {"lr": 0.1, "max_iter": 10, "history_size": 3, "tolerance_change": 1e-12}),
}
STEPS, LBFGS_STEPS = 50, 20


def gradient(t):
    return np.array([math.sin(0.7 * t + 1.3 * j) * (1 + 0.5 * j) if j < 5 else 0.0 for j in range(6)]).reshape(2, 3)


def rule(name, kwargs):
    p = torch.nn.Parameter(torch.tensor([0.5 - 0.3 * j for j in range(6)]).reshape(2, 3))
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    opt = getattr(torch.optim, name)([p], foreach=False, **kw)
    out = []
    for t in range(1, STEPS + 1):
        p.grad = torch.from_numpy(gradient(t))
        opt.step()
        out.append(p.detach().numpy().ravel().copy())
    return np.array(out)


def net_problem():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((64, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 - 0.3 * X[:, 2] > 0.3).astype(float)[:, None]
    shapes = {"0.weight": (8, 5), "0.bias": (8,), "2.weight": (1, 8), "2.bias": (1,)}
    init = {k: rng.uniform(-0.5, 0.5, s) for k, s in shapes.items()}
    return X, y, init


def lbfgs(problem, kwargs):
    if problem == "net":
        X, y, init = net_problem()
        net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 1), torch.nn.Sigmoid())
        with torch.no_grad():
            for name, p in net.named_parameters():
                p.copy_(torch.from_numpy(init[name]))
        params = list(net.parameters())
        TX, Ty = torch.from_numpy(X), torch.from_numpy(y)

        def f():
            return torch.nn.functional.binary_cross_entropy(net(TX), Ty)
    else:
        x = torch.nn.Parameter(torch.from_numpy(np.linspace(-1.0, 1.5, 6)))
        params = [x]

        def f():
            return torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    opt = torch.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        value = f()
        value.backward()
        return value
    xs, values, evals, iters = [], [], [], []
    for _ in range(LBFGS_STEPS):
        values.append(float(opt.step(closure).detach()))
        xs.append(torch.cat([p.detach().reshape(-1) for p in params]).numpy().copy())
        st = opt.state[params[0]]
        evals.append(st["func_evals"])
        iters.append(st["n_iter"])
    return np.array(xs), np.array(values), np.array(evals), np.array(iters)


def record():
    torch.set_default_dtype(torch.float64)
    arrays = {}
    for case, (name, kwargs) in RULES.items():
        arrays[f"{case}/name"] = np.array(name)
        arrays[f"{case}/kwargs"] = np.array(json.dumps(kwargs))
        arrays[f"{case}/theta"] = rule(name, kwargs)
    X, y, init = net_problem()
    arrays.update({"net/X": X, "net/y": y, **{f"net/init/{k}": v for k, v in init.items()}})
    for case, (problem, kwargs) in LBFGS.items():
        xs, values, evals, iters = lbfgs(problem, kwargs)
        arrays.update({f"{case}/name": np.array("LBFGS"), f"{case}/kwargs": np.array(json.dumps(kwargs)),
                       f"{case}/problem": np.array(problem), f"{case}/x": xs, f"{case}/loss": values,
                       f"{case}/evals": evals, f"{case}/iters": iters})
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    record()
