"""The transform contract and registry.

    @augment.register                     # next to the class, as layers do
    class Invert(augment.Transform):
        def __call__(self, X, rng):       # X: a training batch (N, ...), a fresh copy; rng: the run's generator
            return 1.0 - X

A transform draws every random number it needs from ``rng`` (a
np.random.Generator: the training DataLoader's, which a checkpoint saves, so
a run and its ``--resume`` see the same stream), for the whole batch at once,
in an order fixed by its code. It may change X in place and returns the
transformed batch. ``check(sample_shape)`` says (ValueError) when it cannot
take samples of that shape, before a run starts. ``geometric = True`` marks a
transform that moves pixels (crop, flip, shift): where the target is the input
itself (an autoencoder), those move the target with it, the others (noise,
cutout) change the input alone.
"""
from ...layers import Registry
from ...layers.core.spec import entry, record_init

TRANSFORMS = Registry("transform")
register = TRANSFORMS.register


def probability(owner, p):
    """``p`` as a float in [0, 1]; ValueError naming ``owner`` otherwise."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{owner}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


class Transform:
    """Base class of the data transforms (see the module docstring)."""

    geometric = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        record_init(cls)          # its constructor arguments, for spec()

    def __call__(self, X, rng):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(X, rng)")

    def check(self, sample_shape):
        """ValueError naming the transform when it cannot take samples of ``sample_shape``."""

    def spec(self):
        """This transform as an entry of a config's ``data.augment`` list."""
        return entry(self, TRANSFORMS, "transform")

    def _need_image(self, sample_shape):
        if len(sample_shape) < 2:
            raise ValueError(f"{type(self).__name__}: needs image samples (C, H, W) or (H, W), got samples of "
                             f"shape {tuple(sample_shape)}")

    def __repr__(self):
        try:
            spec = self.spec()
        except ValueError:
            return f"{type(self).__name__}()"
        if isinstance(spec, str):
            return f"{spec}()"
        (name, args), = spec.items()
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
