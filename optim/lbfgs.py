"""L-BFGS with PyTorch's closure interface (``torch.optim.LBFGS``; Torch7's ``optim.lbfgs``).

    opt = optim.LBFGS(net.parameters(), line_search_fn="strong_wolfe")
    def closure():
        net.zero_grad()
        value = loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        return value
    opt.step(closure)          # up to max_iter iterations, each one or more closure calls

Full batch: the closure must compute the same function on every call (no dropout
draws, no mini-batches). The trajectory is torch's; the inverse-Hessian product of
its two-loop recursion is computed in matrix form (the same numbers, in a different
order of operations), so an iteration costs a few BLAS products, not 4 × history
Python-level vector operations: see optim/lbfgs_history.py.
"""
import numpy as np

from .checks import check_int, check_nonnegative
from .fused import _locate
from .lbfgs_history import History
from .line_search import strong_wolfe
from .optimizer import Optimizer, register

_ARRAYS = ("d", "prev_flat_grad")
_NUMBERS = ("t", "H_diag", "prev_loss")
_COUNTERS = ("func_evals", "n_iter")


@register
class LBFGS(Optimizer):
    """The algorithm and arguments of ``torch.optim.LBFGS``, over all trainable
    parameters as one flat vector x with gradient g = ∇f(x) (from the closure):

        d = −H g        H: the L-BFGS inverse Hessian from the last ``history_size``
                        pairs (s, y) = (x_{k+1} − x_k, g_{k+1} − g_k) with s·y > 1e-10,
                        scaled by H_diag = s·y / y·y (the first direction is −g)
        t = lr          (the first iteration: min(1, 1 / Σ|g|) · lr)
        x ← x + t d     (``line_search_fn="strong_wolfe"``: t from a strong-Wolfe search
                        along d starting at t, at most max_eval − evaluations so far)

    ``step(closure)`` runs up to ``max_iter`` iterations and stops early when
    max|g| <= tolerance_grad, when max|t d| or the change of the loss is below
    ``tolerance_change``, when g·d > −tolerance_change, or after ``max_eval`` closure
    calls (default max_iter · 5 // 4); it returns the closure's first value. State
    (global, kept as the state of parameter 0, as torch does): ``func_evals``,
    ``n_iter`` (closure calls and iterations over all steps), the last direction ``d``
    and step ``t``, the history ``old_dirs`` (the y's), ``old_stps`` (the s's),
    ``ro`` (1 / s·y), ``H_diag``, ``prev_flat_grad``, ``prev_loss``, and (kubik's)
    ``stps_dot_dirs`` (s_i·y_j, i <= j) and ``history_start`` (where the oldest pair
    sits in the ring buffer), so that a run resumed from ``state_dict`` repeats the same
    arithmetic bit for bit.

    One parameter group; the learning rate multipliers of groups and parameters and
    weight decay do not apply (torch's LBFGS has neither). Arguments: lr=1,
    max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
    history_size=100, line_search_fn=None or "strong_wolfe".
    """

    needs_closure = True     # the trainer calls step(closure) on the full batch

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        self._history = None
        super().__init__(params, lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                         tolerance_change=tolerance_change, history_size=history_size,
                         line_search_fn=line_search_fn)
        self._layout = self._views = None

    def add_param_group(self, group):
        if self.param_groups:
            raise ValueError("LBFGS: takes one parameter group (as torch's), got a second one")
        super().add_param_group(group)

    def validate(self, group):
        super().validate(group)
        check_int("LBFGS", "max_iter", group["max_iter"], 1)
        if group["max_eval"] is not None:
            check_int("LBFGS", "max_eval", group["max_eval"], 1)
        check_nonnegative("LBFGS", tolerance_grad=group["tolerance_grad"], tolerance_change=group["tolerance_change"])
        check_int("LBFGS", "history_size", group["history_size"], 1)
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}")

    @property
    def func_evals(self):
        """Closure calls over all steps."""
        return int(self.state[0].get("func_evals", 0))

    @property
    def n_iter(self):
        """Iterations over all steps."""
        return int(self.state[0].get("n_iter", 0))

    def update(self, p, state, lr, wd, group):
        raise TypeError("LBFGS.step needs a closure that re-evaluates the model: opt.step(closure)")

    # -- the flat vector x ------------------------------------------------------------------
    def _params(self):
        return [p for p, _, _ in self._entries if p.requires_grad]

    def _flat_views(self, params):
        """(data, grad) as one flat view each when the parameters lie consecutively in one
        buffer (net.flatten_parameters()), else None; cached while nothing is rebound."""
        key = [(p.data, p._grad) for p in params]
        if self._layout is not None and len(self._layout[0]) == len(key) and \
                all(a is c and b is d for (a, b), (c, d) in zip(self._layout[0], key)):
            return self._layout[1]
        views = None
        spots = [(_locate(p.data), _locate(p._grad)) for p in params]
        if spots and all(a is not None and b is not None for a, b in spots):
            (bd, d0), (bg, g0) = spots[0]
            pos, ok = 0, True
            for p, ((b1, o1), (b2, o2)) in zip(params, spots):
                ok = ok and b1 is bd and b2 is bg and o1 == d0 + pos and o2 == g0 + pos \
                    and p.data.dtype == params[0].data.dtype
                pos += p.size
            if ok:
                views = (bd[d0:d0 + pos], bg[g0:g0 + pos])
        self._layout = (key, views)
        return views

    def _gather_flat_grad(self, params):
        for p in params:
            if p._zero_pending:            # a gradient no backward touched since zero_grad
                p.grad
        if self._views is not None:
            return self._views[1].copy()
        return np.concatenate([p.grad.reshape(-1) for p in params])

    def _add_grad(self, params, t, d):
        if self._views is not None:
            data = self._views[0]
            data += d * t
            return
        offset = 0
        for p in params:
            p.data += (d[offset:offset + p.size] * t).reshape(p.shape)
            offset += p.size

    def _get_x(self, params):
        if self._views is not None:
            return self._views[0].copy()
        return np.concatenate([p.data.reshape(-1) for p in params])

    def _set_x(self, params, x):
        if self._views is not None:
            np.copyto(self._views[0], x)
            return
        offset = 0
        for p in params:
            p.data[...] = x[offset:offset + p.size].reshape(p.shape)
            offset += p.size

    # -- the algorithm ----------------------------------------------------------------------------
    def step(self, closure=None):
        """Up to ``max_iter`` L-BFGS iterations; ``closure()`` zeroes the gradients, runs
        forward and backward and returns the loss. Returns the closure's first value."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that re-evaluates the model: opt.step(closure)")
        self.step_count += 1
        group = self.param_groups[0]
        lr = float(self.lr) * group["lr_mult"]
        max_iter, tol_grad, tol_change = group["max_iter"], group["tolerance_grad"], group["tolerance_change"]
        max_eval = group["max_eval"] if group["max_eval"] is not None else max_iter * 5 // 4
        params = self._params()
        if not params:
            raise ValueError("LBFGS: no trainable parameter (all have requires_grad = False)")
        n = sum(p.size for p in params)
        self._views = self._flat_views(params)     # one flat view each of data and grad, or None
        state = self.state[0]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        hist = self._history
        if hist is not None and hist.n != n:
            raise ValueError(f"LBFGS: the trainable parameters now hold {n} values, the history {hist.n} "
                             f"(a parameter was frozen or unfrozen mid-run)")

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad(params)
        if float(abs(flat_grad).max()) <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # the direction
            if state["n_iter"] == 1:
                d = -flat_grad
                hist = self._history = History(n, flat_grad.dtype, group["history_size"])
                H_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    hist.append(s, y, ys)
                    H_diag = ys / float(y @ y)
                d = hist.direction(flat_grad, H_diag)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss
            # the step length
            t = min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:            # not a descent direction any more
                break
            ls_func_evals = 0
            if group["line_search_fn"] is not None:
                x_init = self._get_x(params)

                def evaluate(step):
                    self._add_grad(params, step, d)
                    value = float(closure())
                    g = self._gather_flat_grad(params)
                    self._set_x(params, x_init)
                    return value, g

                loss, flat_grad, t, ls_func_evals = strong_wolfe(evaluate, t, d, loss, flat_grad, gtd,
                                                                 max_ls=max_eval - current_evals)
                self._add_grad(params, t, d)
                opt_cond = float(abs(flat_grad).max()) <= tol_grad
            else:
                self._add_grad(params, t, d)
                opt_cond = False
                if n_iter != max_iter:       # no evaluation after the last iteration (as torch)
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad(params)
                    opt_cond = float(abs(flat_grad).max()) <= tol_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            # stop?
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(abs(d).max()) * abs(t) <= tol_change:     # lack of progress
                break
            if abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, H_diag=H_diag, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # -- state -------------------------------------------------------------------------------------
    def state_dict(self):
        """Copies of everything needed to resume exactly (see the class)."""
        sd = super().state_dict()
        st = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
              for k, v in self.state[0].items() if not k.startswith("_")}
        if self._history is not None:
            st.update(self._history.state())
        sd["state"] = {0: st} if st else {}
        return sd

    def load_state_dict(self, sd):
        """Restore a state saved by ``state_dict`` (also after an .npz round trip); checks
        it fits these parameters and changes nothing if it does not."""
        saved = {int(i): dict(v) for i, v in dict(sd.get("state") or {}).items()}
        if set(saved) - {0}:
            raise ValueError(f"LBFGS.load_state_dict: the state belongs to parameter 0 only, got {sorted(saved)}")
        st = saved.get(0, {})
        n = sum(p.size for p in self._params())
        dtype = self._params()[0].dtype if self._params() else None
        known = set(_ARRAYS + _NUMBERS + _COUNTERS) | History.KEYS
        unknown = sorted(set(st) - known)
        if unknown:
            raise ValueError(f"LBFGS.load_state_dict: unknown state {unknown}; known: {', '.join(sorted(known))}")
        clean = {}
        for k in _COUNTERS:
            if k in st:
                v = np.asarray(st[k])
                if v.ndim or v.dtype.kind not in "iu" or v < 0:
                    raise ValueError(f"LBFGS.load_state_dict: state {k!r} must be a whole number >= 0, got {st[k]!r}")
                clean[k] = int(v)
        for k in _NUMBERS:
            if k in st:
                v = np.asarray(st[k])
                if v.ndim or v.dtype.kind not in "iuf" or not np.isfinite(v):
                    raise ValueError(f"LBFGS.load_state_dict: state {k!r} must be a finite number, got {st[k]!r}")
                clean[k] = float(v)
        for k in _ARRAYS:
            if k in st:
                v = np.asarray(st[k])
                if v.shape != (n,) or v.dtype != dtype:
                    raise ValueError(f"LBFGS.load_state_dict: state {k!r} has shape {v.shape} dtype {v.dtype}, "
                                     f"expected ({n},) {dtype} (the trainable parameters as one vector)")
                clean[k] = v.copy()
        groups = list(sd.get("param_groups") or [{}])
        size = int(np.asarray(groups[0].get("history_size", self.param_groups[0]["history_size"])))
        history = History.restore({k: st[k] for k in History.KEYS if k in st}, n, dtype, size) \
            if set(History.KEYS) & set(st) else None
        super().load_state_dict({**sd, "state": {}})
        self.state[0].clear()
        self.state[0].update(clean)
        self._history = history
        return self
