"""``Diagnostics``: per-layer gradient, weight and update norms and activation
statistics on every ``every_steps``-th optimizer step (steps N, 2N, ...), written to
``run_dir/diagnostics.csv`` (see csv_log). Off (every_steps 0) it does nothing.

For each parameter (names as ``net.named_parameters()``: "0.weight", ...):

    grad_norm     ‖g‖₂ of the gradient the update uses (accumulated, before clipping)
    weight_norm   ‖θ‖₂ after the update
    update_ratio  ‖θ_after − θ_before‖₂ / ‖θ_before‖₂ (nan when θ_before is 0)

For each activation layer (name "<path>.<Type>", e.g. "1.ReLU"): act_mean, act_std and
dead_frac or saturated_frac of its output on the step's (first) training micro-batch;
see activations for the thresholds.

It is a training callback (nets.Callback): pass it to ``nets.fit(..., callbacks=[...])``
or ``Trainer(callbacks=...)``; a YAML run gets one from ``train.monitor``. The
callback points call, with the number of the optimizer step:

    diag.start(step)           when fit starts (returns diag) (step = steps already done; resume truncates the csv)
    diag.before_update(step)   after backward, before clipping and optimizer.step() (step = the one being taken)
    diag.after_update(step)    after optimizer.step()

``sinks``: further receivers of each monitored step's rows (``sink.diagnostics(step,
rows)``) and, where ``sink.wants_histograms()``, of the gradients (``grad``, with
grad_norm) and weights (``weight``, with weight_norm) themselves
(``sink.histograms(step, kind, [(name, array)])``): nets.TensorBoard is one.

Nothing is computed, copied or wrapped on other steps. For a monitored step the
activation layers get an instance-level ``forward`` that records the statistics of
the first training-mode output and removes itself; the update ratio needs a copy of
the parameters taken in before_update. A wrapper armed for a step that never came
(the run ended) removes itself at the next training-mode forward, or is removed by the
next Diagnostics of that net. Diagnostics never draw random numbers, so turning them
on does not change a run's results.
"""
from pathlib import Path

import numpy as np

from .activations import activation_stats, is_activation
from .csv_log import DiagnosticsLog

WHAT = ("grad_norm", "update_ratio", "weight_norm", "activations")


def _norm(a):
    a = a.reshape(-1)
    return float(np.sqrt(np.dot(a, a)))


def _unwrap(layer):
    """Remove a capturing ``forward`` (ours, also one left by an earlier Diagnostics) from ``layer``."""
    if getattr(layer.__dict__.get("forward"), "diagnostics", False):
        del layer.__dict__["forward"]


def named_layers(layer, prefix=""):
    """(path, layer) of every layer below ``layer`` ("0", "1", "3.0", ...), depth first."""
    for name, child in layer._children:
        yield prefix + name, child
        yield from named_layers(child, f"{prefix}{name}.")


class Diagnostics:
    """Diagnostics of ``net`` written to ``run_dir/diagnostics.csv`` every ``every_steps`` steps."""

    def __init__(self, net, run_dir, every_steps=0, what=WHAT, sinks=()):
        unknown = sorted(set(what) - set(WHAT))
        if unknown:
            raise ValueError(f"Diagnostics: unknown 'what' {unknown}; known: {', '.join(WHAT)}")
        if isinstance(every_steps, bool) or not isinstance(every_steps, int) or every_steps < 0:
            raise ValueError(f"Diagnostics: every_steps must be an int >= 0 (0 = off), got {every_steps!r}")
        self.net, self.every, self.what, self.sinks = net, int(every_steps), set(what), list(sinks)
        self.log = DiagnosticsLog(Path(run_dir) / "diagnostics.csv")
        self._params = net.named_parameters()      # Parameter objects stay; their .data is read when used
        self._acts = ([(f"{path}.{type(la).__name__}", la) for path, la in named_layers(net) if is_activation(la)]
                      if "activations" in self.what else [])
        self._stats, self._rows, self._before = {}, None, None

    @classmethod
    def from_config(cls, exp, run_dir, sinks=()):
        """The diagnostics a built experiment's ``train.monitor`` asks for."""
        m = exp.config["train"].get("monitor") or {}
        return cls(exp.net, run_dir, m.get("every_steps", 0), m.get("what", WHAT), sinks)

    # -- as a training callback ----------------------------------------------------------
    def on_fit_start(self, trainer):
        """Callback point: start recording at the trainer's step."""
        dist = getattr(trainer, "dist", None)
        if dist is not None and not dist.is_root:     # under MPI rank 0 alone writes the run folder
            self.every = 0
        self.start(trainer.state["step"])

    def on_before_step(self, trainer):
        """Callback point: record gradient norms before the update."""
        self.before_update(trainer.state["step"] + 1)

    def on_step_end(self, trainer, loss):
        """Callback point: record update sizes and weight norms after the update."""
        self.after_update(trainer.state["step"])

    def monitored(self, step):
        """Whether ``step`` is one that is recorded (every ``every_steps``-th)."""
        return self.every > 0 and step % self.every == 0

    # -- the hooks -------------------------------------------------------------------
    def start(self, step):
        """Training (re)starts after ``step`` optimizer steps; returns self."""
        if self.every:
            self.log.start(step)
            self._disarm()
            self._arm(step + 1)
        return self

    def before_update(self, step):
        """The gradients of optimizer step ``step`` are complete; the update comes next."""
        if not self.every or step % self.every:
            return
        self._disarm()
        params = self._params
        rows = [(n, "grad_norm", _norm(p.grad)) for n, p in params] if "grad_norm" in self.what else []
        if "grad_norm" in self.what:
            self._histograms(step, "grad", [(n, p.grad) for n, p in params])
        self._before = [p.data.copy() for _, p in params] if "update_ratio" in self.what else None
        for name, _ in self._acts:
            rows += [(name, k, v) for k, v in self._stats.pop(name, {}).items()]
        self._rows = rows

    def after_update(self, step):
        """Optimizer step ``step`` is done."""
        if not self.every:
            return
        if step % self.every == 0 and self._rows is not None:
            rows, self._rows = self._rows, None
            params = self._params
            if "weight_norm" in self.what:
                rows += [(n, "weight_norm", _norm(p.data)) for n, p in params]
                self._histograms(step, "weight", [(n, p.data) for n, p in params])
            if self._before is not None:
                for (n, p), old in zip(params, self._before):
                    size = _norm(old)
                    rows.append((n, "update_ratio", _norm(p.data - old) / size if size else float("nan")))
                self._before = None
            self.log.append(step, rows)
            for sink in self.sinks:
                sink.diagnostics(step, rows)
        self._arm(step + 1)

    def _histograms(self, step, kind, named_arrays):
        for sink in self.sinks:
            if sink.wants_histograms():
                sink.histograms(step, kind, named_arrays)

    # -- capturing activation outputs ---------------------------------------------------
    def _arm(self, step):
        if not self._acts or not self.monitored(step):
            return
        for name, layer in self._acts:
            self._wrap(name, layer)

    def _wrap(self, name, layer):
        _unwrap(layer)
        plain = layer.forward

        def forward(X):
            Y = plain(X)
            if layer.training:
                self._stats[name] = activation_stats(layer, Y)
                _unwrap(layer)
            return Y
        forward.diagnostics = True
        layer.forward = forward

    def _disarm(self):
        for _, layer in self._acts:
            _unwrap(layer)
