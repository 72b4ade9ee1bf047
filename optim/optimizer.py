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

from ..layers import Parameter, Registry
from ..layers.core.spec import record_init, recording

from .checks import check_nonnegative, plain
from .fused import Run, make_plan

OPTIMIZERS = Registry("optimizer")
register = OPTIMIZERS.register


_WORK_KEYS = ("_work0", "_work1", "_work2", "_work3")
SCALAR_STATE = ("step",)     # per-parameter state entries that are counters, not arrays like the parameter


def flat_arrays(p):
    """(data, grad) of ``p`` as flat views for a compiled kernel, or None when
    they are not C-contiguous float arrays of one dtype."""
    d, g = p.data, p.grad
    if d.dtype != g.dtype or d.dtype.kind != "f" or not (d.flags.c_contiguous and g.flags.c_contiguous):
        return None
    return d.reshape(-1), g.reshape(-1)


class Optimizer:
    """Base class. Subclasses implement ``update(p, state, lr, wd, group)``
    for one parameter (in place, float32 stays float32); ``step`` calls it for
    each trainable parameter. ``self.work(p, state, k)`` hands out scratch
    arrays shaped like ``p``, shared by all parameters, so a step allocates
    nothing once warm. A subclass's constructor arguments are recorded (as a
    layer's, layers/core/spec.py) so a run can name the optimizer (optim/spec.py)."""

    real_state = ()       # per-parameter state entries that are real numbers (NAdam's mu_product)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        record_init(cls)      # its constructor arguments, for spec(): layers/core/spec.py

    @recording
    def __init__(self, params, lr, **defaults):
        check_nonnegative(type(self).__name__, lr=lr)
        self.lr = float(lr)
        self.defaults = dict(defaults, lr_mult=1.0, decay_mult=1.0)
        self.param_groups = []
        self.state = []        # per parameter, in order of appearance: dict of arrays
        self.step_count = 0    # optimizer steps taken (not per-parameter calls)
        self._entries = []     # (parameter, its state, its group)
        self._pool = {}        # (slot, dtype) -> flat scratch array
        self._plan = None      # Runs (fused) and single entries, see optim/fused.py
        self._sig = None
        if isinstance(params, (Parameter, dict)):
            params = [params]
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        """Add a dict ``{'params': [...], option: value, ...}``; options override the
        optimizer's defaults for these parameters (``lr`` becomes an lr multiplier)."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with 'params', got {group!r}")
        group = dict(group)
        params = group.pop("params")
        params = [params] if isinstance(params, Parameter) else list(params)
        if "lr" in group:
            lr = group.pop("lr")
            check_nonnegative(name, lr=lr)
            group["lr_mult"] = lr / self.lr if self.lr else 0.0
        unknown = sorted(set(group) - set(self.defaults))
        if unknown:
            raise ValueError(f"{name}: unknown option(s) {unknown} in a parameter group; "
                             f"known: lr, {', '.join(sorted(self.defaults))}")
        seen = {id(p) for p, _, _ in self._entries}
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{name}: expected Parameters, got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter appears in more than one group")
            seen.add(id(p))
        full = {**self.defaults, **group}
        self.validate(full)
        full["params"] = params
        self.param_groups.append(full)
        for p in params:
            st = {}
            self.state.append(st)
            self._entries.append((p, st, full))
        self._plan = None

    def validate(self, group):
        """Check a group's hyperparameters and turn numpy scalars into Python
        numbers (in place); subclasses add checks that raise ValueError naming
        the argument and its value."""
        for k, v in group.items():
            if k != "params":
                group[k] = plain(v)
        check_nonnegative(type(self).__name__, lr_mult=group["lr_mult"], decay_mult=group["decay_mult"])

    def parameters(self) -> list:
        """Every Parameter this optimizer updates, in group order."""
        return [p for p, _, _ in self._entries]

    def zero_grad(self) -> None:
        """Mark every gradient zero (lazily: see Parameter.zero_grad)."""
        for p, _, _ in self._entries:
            p.zero_grad()

    def step(self) -> None:
        """Update every trainable parameter in place from its ``grad``, with
        ``lr = self.lr * group lr_mult * p.lr_mult`` and the weight decay likewise scaled.
        Runs of parameters lying consecutively in one flat buffer
        (``net.flatten_parameters()``) are updated as one array (optim/fused.py);
        the result is the same."""
        self.step_count += 1
        base = float(self.lr)
        if not self._plan_valid():
            self._plan = make_plan(self._entries)
            self._sig = [(p, p.data, p._grad, p.requires_grad, p.lr_mult, p.decay_mult)
                         for p, _, _ in self._entries]
        for item in self._plan:
            if type(item) is Run:
                g = item.group
                lr = base * g["lr_mult"] * item.lr_mult
                wd = g.get("weight_decay", 0.0) * g["decay_mult"] * item.decay_mult
                self.update(item, item.state, lr, wd, g)
                item.after_update()
            else:
                p, st, g = item
                lr = base * g["lr_mult"] * p.lr_mult
                wd = g.get("weight_decay", 0.0) * g["decay_mult"] * p.decay_mult
                self.update(p, st, lr, wd, g)

    def _plan_valid(self):
        """Whether the cached plan still holds (no parameter was rebound, frozen
        or given other multipliers); fills pending lazy zero gradients."""
        if self._plan is None:
            return False
        for p, d, gr, rg, lm, dm in self._sig:
            if p.data is not d or p._grad is not gr or p.requires_grad != rg \
                    or p.lr_mult != lm or p.decay_mult != dm:
                return False
            if p._zero_pending:
                gr.fill(0)
                p._zero_pending = False
        return True

    def update(self, p, state, lr, wd, group):
        """Apply one step to parameter ``p`` in place (subclasses)."""
        raise TypeError(f"{type(self).__name__} is not a usable optimizer: it does not define update()")

    def coupled_grad(self, p, state, wd):
        """The gradient with L2 weight decay folded in, g + wd·θ (torch's
        ``weight_decay``), in scratch array 0; ``p.grad`` itself when wd = 0."""
        if not wd:
            return p.grad
        s = self.work(p, state, 0)
        np.multiply(p.data, wd, out=s)
        s += p.grad
        return s

    def decayed_grad(self, p, state, lr, wd, decoupled):
        """The gradient to step with under weight decay ``wd``: decoupled (AdamW's:
        θ ← θ·(1 − lr·wd) here, the gradient as it is) or coupled (``coupled_grad``)."""
        if wd and decoupled:
            p.data *= 1.0 - lr * wd
            return p.grad
        return self.coupled_grad(p, state, wd)

    def work(self, p, state, k=0):
        """Scratch array number ``k`` shaped like ``p``: a view of a flat buffer
        shared by all parameters (cached in ``state`` under a private key)."""
        key = _WORK_KEYS[k] if k < len(_WORK_KEYS) else f"_work{k}"
        w = state.get(key)
        if w is not None and w.shape == p.data.shape and w.dtype == p.data.dtype:
            return w
        flat = self._pool.get((k, p.data.dtype))
        if flat is None or flat.size < p.data.size:
            size = max([q.size for q, _, _ in self._entries if q.data.dtype == p.data.dtype] + [p.data.size])
            flat = self._pool[(k, p.data.dtype)] = np.empty(size, p.data.dtype)
        w = state[key] = flat[:p.data.size].reshape(p.data.shape)
        return w

    def init_state(self, p, state, key, fill=0.0):
        """The state array ``key`` of ``p``, created filled with ``fill`` on first use
        (or when ``p`` changed dtype, e.g. after ``astype``)."""
        a = state.get(key)
        if a is None:
            a = state[key] = np.full_like(p.data, fill)
        elif a.dtype != p.data.dtype:
            a = state[key] = a.astype(p.data.dtype)
        return a

    # -- state ------------------------------------------------------------------------
    def state_dict(self):
        """Copies of everything needed to resume exactly: lr, step count,
        group hyperparameters and per-parameter state arrays."""
        index = {id(p): i for i, (p, _, _) in enumerate(self._entries)}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        state = {i: {k: np.array(v, copy=True) for k, v in st.items() if not k.startswith("_")}
                 for i, st in enumerate(self.state) if any(not k.startswith("_") for k in st)}
        return {"type": type(self).__name__, "lr": self.lr, "step_count": self.step_count,
                "param_groups": groups, "state": state}

    def load_state_dict(self, sd):
        """Restore a state saved by ``state_dict`` (also after a round trip
        through an .npz file: numbers may come back as 0-d arrays); checks it
        fits these parameters and changes nothing if it does not."""
        name = type(self).__name__
        saved_type = plain(sd.get("type", name))
        if saved_type != name:
            raise ValueError(f"{name}.load_state_dict: state comes from a {saved_type} optimizer")
        groups = list(sd["param_groups"])
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(f"{name}.load_state_dict: parameter groups do not match "
                             f"({[len(g['params']) for g in groups]} vs {[len(g['params']) for g in self.param_groups]})")
        new_groups = []
        for g, saved in zip(self.param_groups, groups):
            new = {**{k: v for k, v in g.items() if k != "params"},
                   **{k: v for k, v in saved.items() if k != "params"}}
            unknown = sorted(set(new) - set(self.defaults))
            if unknown:
                raise ValueError(f"{name}.load_state_dict: unknown option(s) {unknown} in a saved parameter group")
            self.validate(new)
            new_groups.append(new)
        state = {int(i): st for i, st in sd["state"].items()}
        for i, st in state.items():
            if not 0 <= i < len(self._entries):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but there are {len(self._entries)}")
            for k, v in st.items():
                self._check_state(i, k, v)
        lr, step_count = plain(sd["lr"]), plain(sd["step_count"])
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 <= lr < float("inf"):
            raise ValueError(f"{name}.load_state_dict: lr must be a finite number >= 0, got {lr!r}")
        if isinstance(step_count, bool) or not isinstance(step_count, int) or step_count < 0:
            raise ValueError(f"{name}.load_state_dict: step_count must be an integer >= 0, got {step_count!r}")
        self.lr = float(lr)
        self.step_count = step_count
        for g, new in zip(self.param_groups, new_groups):
            g.update(new)
        self._plan = None
        for i, (p, st, _) in enumerate(self._entries):
            st.clear()
            for k, v in state.get(i, {}).items():
                v = np.asarray(v)
                st[k] = v.astype(p.dtype, copy=True) if v.ndim else v.copy()
        return self

    def _check_state(self, i, key, value):
        """ValueError unless the saved state ``key`` of parameter ``i`` fits: a
        counter (SCALAR_STATE) is a whole number >= 0, a real (``real_state``) a finite
        number; every other entry an
        array of the parameter's exact shape and dtype (as Layer.load_state_dict)."""
        name, p = type(self).__name__, self._entries[i][0]
        v = np.asarray(value)
        if key in self.real_state:
            if v.ndim or v.dtype.kind not in "iuf" or not np.isfinite(v):
                raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter {i} must be a finite number, "
                                 f"got {v.dtype} {v.shape} {v.ravel()[:3]}")
            return
        if key in SCALAR_STATE:
            if v.ndim or v.dtype.kind not in "iuf" or not np.isfinite(v) or v < 0 or v != np.round(v):
                raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter {i} must be a whole "
                                 f"number >= 0, got {v.dtype} {v.shape} {v.ravel()[:3]}")
            return
        if v.shape != p.shape:
            raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter {i} has shape {v.shape}, "
                             f"expected {p.shape}")
        if v.dtype != p.dtype:
            raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter {i} has dtype {v.dtype}, "
                             f"expected {p.dtype}")

    def __repr__(self):
        hp = ", ".join(f"{k}={v}" for k, v in self.defaults.items() if k not in ("lr_mult", "decay_mult"))
        return f"{type(self).__name__}(lr={self.lr}{', ' + hp if hp else ''})"
