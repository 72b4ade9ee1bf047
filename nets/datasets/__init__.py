"""Data sets: the bundled digits and breast-cancer sets, synthetic sets
(spirals, XOR, circles), MNIST-style IDX files and the user's own .npz / .csv,
plus seeded splitting and scaling.

    raw = load("digits", image=True)              # a Raw: X, y (+ X_test, y_test)
    data = prepare(cfg["data"], val_split=0.1)    # a Data: train / val / test splits, scaled

Loaders are registered by name in ``DATASETS``; their keyword arguments are
what a config's ``data`` section may add to ``name``, ``test_split``, ``seed``
and ``scale``. A loader that takes ``rng`` is given a generator seeded with
``data.seed``. A bad file or argument is a ConfigError naming ``data.<key>``.

    base       DATASETS, Raw, Data
    bundled    digits, breast_cancer           synthetic  spirals, xor, circles
    idx_files  idx / mnist, read_idx           files      npz, csv
    scaling    fit_scaler, apply_scaler        prepare    load, split_indices, prepare
    checks     check_features, check_targets (finite numbers, labels >= 0)
"""
from .base import DATA_DIR, DATASETS, SPLIT_KEYS, Data, Raw, loader_kwargs
from . import bundled, synthetic, idx_files, files  # noqa: F401  (register the loaders, in this order)
from .bundled import breast_cancer, digits
from .checks import check_features, check_targets
from .files import csv_file, npz
from .idx_files import idx, read_idx
from .prepare import load, prepare, split_indices
from .scaling import apply_scaler, fit_scaler
from .synthetic import circles, spirals, xor
