"""From a config's ``data`` section to scaled float32 train / val / test
splits.

The test split is drawn from a generator seeded with ``data.seed`` alone (it
depends only on the seed and the number of samples), the validation split
from the remaining samples with a second stream (a set with its own test or
validation split, e.g. ``shakespeare``'s parts of the text, uses those instead), so neither changes with the
training seed or the validation fraction. Scaling statistics come from the
training part only. With ``target: input`` every split's target is its scaled
input itself (the same array: an autoencoder; the DataLoader then moves the
target with the input under geometric transforms), a regression target.
"""
import numpy as np

from ..config import ConfigError
from .base import Data, loader_kwargs, target_is_input
from .checks import check_features, check_targets
from .loading import load_raw
from .scaling import apply_scaler, fit_scaler


def split_indices(n, fraction, seed, stream=0):
    """(kept, held-out) index arrays: a seeded permutation's first
    round(fraction·n) indices are held out; depends only on n, fraction, seed, stream."""
    perm = np.random.default_rng([int(seed), int(stream)]).permutation(n)
    k = int(round(fraction * n))
    return np.sort(perm[k:]), np.sort(perm[:k])


def prepare(data_cfg, val_split=0.0, loader_args=None):
    """Load the data named in a (normalized) ``data`` section and split it into
    scaled float32 train / val / test parts."""
    args = dict(loader_args if loader_args is not None else loader_kwargs(data_cfg))
    seed = data_cfg.get("seed", 0)
    raw = load_raw(data_cfg["name"], rng=np.random.default_rng([int(seed), 2]), **args)
    X, y = check_features(raw.X), check_targets(raw.y)
    if len(X) != len(y):
        raise ConfigError(f"{len(X)} samples but {len(y)} targets", ("data",))
    if len(X) < 2:
        raise ConfigError(f"the data set has {len(X)} samples", ("data",))
    if raw.X_test is not None:
        X_test, y_test = check_features(raw.X_test, "test features"), check_targets(raw.y_test, "test targets")
    else:
        keep, test = split_indices(len(X), data_cfg.get("test_split", 0.2), seed, 0)
        X, y, X_test, y_test = X[keep], y[keep], X[test], y[test]
    if getattr(raw, "X_val", None) is not None:       # the set's own validation split (val_split is not used)
        X_val, y_val = check_features(raw.X_val, "validation features"), check_targets(raw.y_val, "validation targets")
    else:
        keep, val = split_indices(len(X), val_split, seed, 1)
        X, y, X_val, y_val = X[keep], y[keep], X[val], y[val]
    if not len(X):
        raise ConfigError("no training samples left after the test and validation splits", ("data", "test_split"))
    shift, scale = fit_scaler(X, data_cfg.get("scale", "standard"))
    if target_is_input(data_cfg):
        parts = [apply_scaler(A, shift, scale) for A in (X, X_val, X_test)]
        return Data(parts[0], parts[0], parts[1], parts[1], parts[2], parts[2], None, None, shift, scale,
                    getattr(raw, "features", None), None, getattr(raw, "layout", None))
    classify = y.dtype.kind in "iu"
    num_classes = None
    if classify:     # the data's class set (a text's vocabulary) where it names one, else the labels seen
        seen = int(max(y.max(), y_test.max() if len(y_test) else 0, y_val.max() if len(y_val) else 0)) + 1
        num_classes = max(seen, len(raw.classes)) if raw.classes else seen
    points = getattr(raw, "points", None)
    if points is not None:        # the test part's single samples, scaled as the first input
        first = (shift[0], scale[0]) if isinstance(shift, list) else (shift, scale)
        points = (apply_scaler(np.asarray(points[1][0]), *first), np.asarray(points[1][1]))
    return Data(apply_scaler(X, shift, scale), y, apply_scaler(X_val, shift, scale), y_val,
                apply_scaler(X_test, shift, scale), y_test, num_classes, raw.classes,
                shift, scale, getattr(raw, "features", None), getattr(raw, "target", None),
                getattr(raw, "layout", None), points)
