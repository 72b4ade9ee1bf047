"""Optimizer: the base of every optimizer, and the optimizer registry.

    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad(); ...backward...; opt.step()

``params`` is an iterable of Parameters, or of dicts (parameter groups) such as
``{"params": [...], "weight_decay": 0.0}``; a group may override any
hyperparameter of the optimizer. ``opt.lr`` is the base learning rate that
schedules change; each parameter's effective rate and weight decay are

    lr_eff = opt.lr · group["lr_mult"] · param.lr_mult
    wd_eff = group["weight_decay"] · group["decay_mult"] · param.decay_mult

(Caffe's lr_mult / decay_mult). A group's ``"lr"`` sets its ``lr_mult`` to
lr / opt.lr. Parameters with ``requires_grad = False`` are skipped (frozen).
"""
import numpy as np

from layers import Parameter, Registry

OPTIMIZERS = Registry("optimizer")
register = OPTIMIZERS.register


def check_nonnegative(owner, **values):
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
            raise ValueError(f"{owner}: {name} must be a number >= 0, got {v!r}")


class Optimizer:
    """Base class. Subclasses implement ``update(p, state, lr, wd, group)``
    for one parameter; ``step`` calls it for each trainable parameter."""

    def __init__(self, params, lr, **defaults):
        check_nonnegative(type(self).__name__, lr=lr)
        self.lr = float(lr)
        self.defaults = dict(defaults, lr_mult=1.0, decay_mult=1.0)
        self.param_groups = []
        self.state = []        # per parameter, in order of appearance: dict of arrays
        self.step_count = 0    # optimizer steps taken (not per-parameter calls)
        self._entries = []     # (parameter, its state, its group)
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group):
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{type(self).__name__}: a parameter group must be a dict with 'params', got {group!r}")
        group = dict(group)
        params = list(group.pop("params"))
        if "lr" in group:
            lr = group.pop("lr")
            check_nonnegative(type(self).__name__, lr=lr)
            group["lr_mult"] = lr / self.lr if self.lr else 0.0
        unknown = sorted(set(group) - set(self.defaults))
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown option(s) {unknown} in a parameter group; "
                             f"known: lr, {', '.join(sorted(self.defaults))}")
        seen = {id(p) for p, _, _ in self._entries}
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__}: expected Parameters, got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
            seen.add(id(p))
        full = {**self.defaults, **group, "params": params}
        self.validate(full)
        self.param_groups.append(full)
        for p in params:
            st = {}
            self.state.append(st)
            self._entries.append((p, st, full))

    def validate(self, group):
        """Check a group's hyperparameters; subclasses raise ValueError naming the argument."""
        check_nonnegative(type(self).__name__, lr_mult=group["lr_mult"], decay_mult=group["decay_mult"])

    def parameters(self):
        return [p for p, _, _ in self._entries]

    def zero_grad(self):
        for p, _, _ in self._entries:
            p.grad.fill(0)

    def step(self):
        self.step_count += 1
        base = self.lr
        for p, st, g in self._entries:
            if p.requires_grad:
                lr = base * g["lr_mult"] * p.lr_mult
                wd = g.get("weight_decay", 0.0) * g["decay_mult"] * p.decay_mult
                self.update(p, st, lr, wd, g)

    def update(self, p, state, lr, wd, group):
        raise NotImplementedError(f"{type(self).__name__} must implement update")

    # -- state ------------------------------------------------------------------------
    def state_dict(self):
        """Copies of everything needed to resume exactly: lr, step count,
        group hyperparameters and per-parameter state arrays."""
        index = {id(p): i for i, (p, _, _) in enumerate(self._entries)}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        state = {i: {k: np.array(v, copy=True) for k, v in st.items() if not k.startswith("_")}
                 for i, st in enumerate(self.state) if st}
        return {"type": type(self).__name__, "lr": self.lr, "step_count": self.step_count,
                "param_groups": groups, "state": state}

    def load_state_dict(self, sd):
        """Restore a state saved by ``state_dict``; checks it fits these parameters
        and changes nothing if it does not."""
        name = type(self).__name__
        if sd.get("type", name) != name:
            raise ValueError(f"{name}.load_state_dict: state comes from a {sd.get('type')} optimizer")
        groups = sd["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(f"{name}.load_state_dict: parameter groups do not match "
                             f"({[len(g['params']) for g in groups]} vs {[len(g['params']) for g in self.param_groups]})")
        state = {int(i): st for i, st in sd["state"].items()}
        for i, st in state.items():
            if not 0 <= i < len(self._entries):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but there are {len(self._entries)}")
            p = self._entries[i][0]
            for k, v in st.items():
                v = np.asarray(v)
                if v.ndim and v.shape != p.shape:
                    raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} has shape {v.shape}, expected {p.shape}")
        self.lr = float(sd["lr"])
        self.step_count = int(sd["step_count"])
        for g, saved in zip(self.param_groups, groups):
            g.update({k: v for k, v in saved.items() if k != "params"})
        for i, (p, st, _) in enumerate(self._entries):
            st.clear()
            for k, v in state.get(i, {}).items():
                v = np.asarray(v)
                st[k] = v.astype(p.dtype, copy=True) if v.ndim else v.copy()
        return self

    def __repr__(self):
        hp = ", ".join(f"{k}={v}" for k, v in self.defaults.items() if k not in ("lr_mult", "decay_mult"))
        return f"{type(self).__name__}(lr={self.lr}{', ' + hp if hp else ''})"
