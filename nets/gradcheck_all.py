"""``kubik gradcheck``: the finite-difference gradient check of every
registered layer and loss, on small inputs built without a per-layer table.

A layer's example comes from shape inference: for each candidate per-sample
input shape (a vector, an image, a short sequence), the constructor gets the
arguments ``infer_args`` gives, plus small values for common required
arguments (``EXAMPLE_ARGS``); the first shape that ``output_shape`` accepts is
used with a batch of 3 (as one input, or as two inputs of that shape for a
merge layer such as Add or Concatenate). Containers get two small children (a Linear and a
Tanh, or a Linear-Tanh body). A layer no candidate fits is listed as skipped,
with the reason, never silently left out. Losses get predictions in (0.05,
0.95) and either integer labels or targets in [0, 1] shaped like the
predictions, whichever the loss accepts.
"""
import inspect

import numpy as np

from .. import layers
from .. import losses
from ..layers import LAYERS, Linear, Tanh

from .builders.entries import container_flow
from .containers.sequential import Sequential

SHAPES = ((5,), (2, 6, 6), (3, 4))
EXAMPLE_ARGS = {"out_features": 3, "out_channels": 2, "kernel_size": 3, "num_features": 2,
                "normalized_shape": 5, "p": 0.3, "shape": (-1,), "output_size": 2}
EXAMPLE_ARGS.update(hidden_size=3, num_embeddings=6, embedding_dim=3, num_groups=2, padding=1, num_heads=2,
                    max_len=8, dims=(0, 2, 1))
# Layers whose input is not a float array, or whose defaults are too big to check element by
# element (a 2048-wide feed-forward block): their example is given outright.
# Upsample needs one of size and scale_factor (both optional in its signature).
EXAMPLES = {"Embedding": lambda: (layers.Embedding(6, 3, rng=0), np.array([[0, 5, 2], [2, 2, 1], [4, 3, 3]])),
            "Upsample": lambda: (layers.Upsample(scale_factor=1.5, mode="bilinear"), _input((2, 4, 3))),
            "TransformerEncoderLayer": lambda: (layers.TransformerEncoderLayer(4, 2, 6, rng=0), _input((3, 4))),
            "Graph": lambda: _graph_example()}


def _graph_example():
    """A small graph whose paths fork and meet: x -> Linear, Tanh -> Linear; their sum."""
    from .containers.graph import Graph
    g = Graph(inputs=["x"], outputs=["sum"])
    g.add("a", Linear(5, 4, rng=0), "x").add("t", Tanh(), "x").add("b", Linear(5, 4, rng=1), "t")
    g.add("sum", layers.Add(), ["a", "b"])
    return g, _input(SHAPES[0])
BATCH = 3


def describe_signature(obj):
    """'(in_features, out_features, bias=True, ...)' without self/params/optimizer/rng/dtype."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    parts = []
    for name, p in sig.parameters.items():
        if name in ("self", "params", "optimizer", "rng", "dtype"):
            continue
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{name}")
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{name}")
        elif p.default is p.empty:
            parts.append(name)
        else:
            parts.append(f"{name}={p.default!r}")
    return f"({', '.join(parts)})"


def _canonical(registry):
    return [(name, cls) for name, cls in registry.items() if getattr(cls, "__name__", name) == name]


def _input(shape, seed=0):
    X = np.random.default_rng(seed).standard_normal((BATCH,) + tuple(shape))
    return X + 0.1 * np.sign(X)     # away from 0, where ReLU-like layers have kinks


def layer_example(cls):
    """(layer, X) for ``cls``, or (None, reason)."""
    if cls.__name__ in EXAMPLES:
        return EXAMPLES[cls.__name__]()
    flow = container_flow(cls)
    if flow:
        d = SHAPES[0][0]
        if issubclass(cls, Sequential):
            return cls(Linear(d, 4, rng=0), Tanh()), _input(SHAPES[0])
        children = [Linear(d, d, rng=0), Tanh()]
        sig = inspect.signature(cls).parameters.values()
        try:
            layer = cls(*children) if any(p.kind is p.VAR_POSITIONAL for p in sig) else cls(Sequential(*children))
            layer.output_shape(SHAPES[0])
            return layer, _input(SHAPES[0])
        except (TypeError, ValueError) as e:
            return None, f"could not build a small example container: {e}"
    reasons = []
    params = inspect.signature(cls).parameters
    for shape in SHAPES:
        try:
            kwargs = dict(cls.infer_args(shape))
        except (ValueError, TypeError, IndexError, KeyError) as e:
            reasons.append(f"{shape}: {e}")
            continue
        args = ()
        for name, p in params.items():
            if name in kwargs or p.default is not p.empty:
                continue
            if p.kind is p.VAR_POSITIONAL:
                args = tuple(EXAMPLE_ARGS.get(name, ()))
            elif name in EXAMPLE_ARGS:
                kwargs[name] = EXAMPLE_ARGS[name]
        if "rng" in params:
            kwargs["rng"] = 0
        try:
            layer = cls(*args, **kwargs)
        except (ValueError, TypeError) as e:
            reasons.append(f"{shape}: {e}")
            continue
        for arity in (1, 2):        # a merge layer (Add, Concatenate) takes two inputs of the shape
            try:
                layer.output_shape(*(shape,) * arity)
            except (ValueError, TypeError) as e:
                reasons.append(f"{shape}{' x2' if arity > 1 else ''}: {e}")
                continue
            return layer, (_input(shape) if arity == 1 else tuple(_input(shape, seed) for seed in range(arity)))
    return None, "no small input fits: " + "; ".join(reasons)


class ThroughLogSoftmax(losses.Loss):
    """A loss on log_softmax(Z): what CTC is checked on, since its gradient is torch.nn.CTCLoss's,
    the gradient of the logits Z (see losses.CTC), not of free log-probabilities."""

    def __init__(self, loss):
        self.loss, self.log_softmax, self.reduction = loss, layers.LogSoftmax(), loss.reduction

    def forward(self, pred, target):
        return self.loss.forward(self.log_softmax.forward(pred), target)

    def backward(self):
        return self.log_softmax.backward(self.loss.backward())

    def __repr__(self):
        return f"{self.loss!r} on LogSoftmax"


# Losses whose targets are not one label or value per prediction: their example is given outright.
LOSS_EXAMPLES = {"CTC": lambda: (ThroughLogSoftmax(losses.CTC()), _input((4, 3)).reshape(3, 4, 3),
                                 np.array([[1, 2], [2, 2], [1, 0]]))}


def loss_example(cls):
    """(loss, pred, target) for a loss class, or (None, reason, None); ``pred`` is a tuple
    for a loss with several predictions (``cls.predictions``), ``target`` None for a loss
    without one. The first target that the loss accepts is used: none, integer labels,
    values shaped like the predictions, or labels 1 / -1 (elementwise or per sample)."""
    if cls.__name__ in LOSS_EXAMPLES:
        return LOSS_EXAMPLES[cls.__name__]()
    rng = np.random.default_rng(0)
    preds = tuple(rng.uniform(0.05, 0.95, (4, 3)) for _ in cls.predictions)
    pred = preds if len(preds) > 1 else preds[0]
    loss = cls()
    takes_target = len(cls.arguments()) > len(cls.predictions)
    signs = np.where(rng.random((4, 3)) < 0.5, -1.0, 1.0)
    candidates = (np.array([0, 2, 1, 2]), rng.uniform(0.0, 1.0, (4, 3)), signs, signs[:, 0]) if takes_target \
        else (None,)
    for target in candidates:
        try:
            loss.forward(*cls.call_arguments([p.copy() for p in preds], target))
            return loss, pred, target
        except (ValueError, TypeError):
            continue
    return None, "accepts neither integer labels, nor targets shaped like the predictions, nor 1/-1 labels", None


def run_all(names=(), out=print):
    """Check every registered layer and loss (or only ``names``); print one line
    each; return the number of failures (skipped ones are not failures)."""
    from .. import nets  # noqa: F401  (registers the containers)
    wanted = set(names or ())
    known = {n for n, _ in _canonical(LAYERS)} | {n for n, _ in _canonical(losses.LOSSES)}
    unknown = sorted(wanted - known)
    if unknown and layers.load_plugins():   # names an installed plugin may register
        known = {n for n, _ in _canonical(LAYERS)} | {n for n, _ in _canonical(losses.LOSSES)}
        unknown = sorted(wanted - known)
    if unknown:
        from .config import ConfigError, suggest
        raise ConfigError(f"kubik gradcheck: unknown layer or loss {unknown[0]!r}{suggest(unknown[0], known)}")
    failures = skipped = passed = 0
    state = layers.get_rng().bit_generator.state
    try:
        for kind, registry, make in (("layer", LAYERS, layer_example), ("loss", losses.LOSSES, loss_example)):
            for name, cls in _canonical(registry):
                if wanted and name not in wanted:
                    continue
                layers.seed(0)
                example = make(cls)
                if example[0] is None:
                    skipped += 1
                    out(f"skip  {kind} {name}: {example[1]}")
                    continue
                try:
                    if kind == "layer":
                        result = layers.gradcheck(example[0], example[1], raise_on_fail=False)
                    else:
                        result = losses.gradcheck_loss(*example, raise_on_fail=False)
                except Exception as e:   # report and go on: one broken layer must not hide the others
                    failures += 1
                    out(f"FAIL  {kind} {name}: {type(e).__name__}: {e}")
                    continue
                ok = result.ok
                passed += ok
                failures += not ok
                out(f"{'ok  ' if ok else 'FAIL'}  {kind} {name}: worst relative error {result.worst_error:.2e} "
                    f"at {result.where or '-'} ({result.checked} checked, {result.skipped} near kinks)")
    finally:
        layers.get_rng().bit_generator.state = state
    out(f"{passed} passed, {failures} failed, {skipped} skipped")
    return failures
