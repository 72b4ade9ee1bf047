"""Augment: the transforms of a run, applied in order to each training batch."""
import numpy as np

from .base import Transform


class Augment:
    """``Augment([RandomCrop(32, padding=4), RandomFlip()])``: called as ``augment(X, rng)``
    it applies each transform in turn to the batch X and returns the result; with
    ``target=`` (the target batch of a net whose target is its input) the
    ``geometric`` transforms move both the same way (one draw for the pair: they run
    on X and the target stacked), the others change X alone. A list entry may also be
    a plain function ``f(X, rng)`` (not written into checkpoints, so a run that uses
    one cannot be resumed from the command line)."""

    def __init__(self, transforms=()):
        transforms = list(transforms.transforms if isinstance(transforms, Augment) else transforms)
        for t in transforms:
            if not callable(t):
                raise TypeError(f"augment: a transform is a nets.augment.Transform or a function f(X, rng), "
                                f"got {type(t).__name__}")
        self.transforms = transforms

    def __len__(self):
        return len(self.transforms)

    def __bool__(self):
        return bool(self.transforms)

    def __iter__(self):
        return iter(self.transforms)

    def check(self, sample_shape):
        """ValueError (naming the transform) when one cannot take samples of ``sample_shape``."""
        for t in self.transforms:
            if isinstance(t, Transform):
                t.check(tuple(sample_shape))

    def __call__(self, X, rng, target=None):
        for t in self.transforms:
            if target is not None and getattr(t, "geometric", False):
                both = t(np.stack([X, target], axis=1), rng)        # (N, 2, ...): one draw per sample
                X, target = both[:, 0], both[:, 1]
            else:
                X = t(X, rng)
        return X if target is None else (X, target)

    def specs(self):
        """The config entries of the transforms (layers.SpecError for one that has none)."""
        from ...layers import SpecError
        out = []
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise SpecError("a plain function, which a config entry cannot name (make it a registered "
                                "nets.augment.Transform)", getattr(t, "__name__", type(t).__name__))
            out.append(t.spec())
        return out

    def __repr__(self):
        return f"Augment({self.transforms!r})"
