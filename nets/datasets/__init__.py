"""Data sets: the bundled digits and breast-cancer sets, synthetic sets
(spirals, XOR, circles), MNIST-style IDX files, CIFAR-10's binary batches and
the user's own .npz / .csv, plus seeded splitting and scaling.

    X, y = load("digits", image=True)             # raw samples (.X_test, .y_test: a set's own test split)
    X_test, y_test = load("mnist", split="test")  # a set's own test split
    data = prepare(cfg["data"], val_split=0.1)    # a Data: train / val / test splits, scaled

Loaders are registered by name in ``DATASETS``; their keyword arguments are
what a config's ``data`` section may add to ``name``, ``test_split``, ``seed``
and ``scale``. A loader that takes ``rng`` is given a generator seeded with
``data.seed``. A bad file or argument is a ConfigError naming ``data.<key>``.

    base       DATASETS, Raw, Data
    bundled    digits, breast_cancer           synthetic  spirals, xor, circles
    sequences  adding, parity                text_files text (next-character windows)
    strips     digit_strips (CTC)            tiny_shakespeare  shakespeare (next character at every step)
    idx_files  idx / mnist, read_idx           files      npz, csv
    cifar      cifar10 (the binary version; the pickled Python version is refused), read_batch
    scaling    fit_scaler, apply_scaler        prepare    split_indices, prepare
    loading    load (from Python), load_raw
    checks     check_features, check_targets (finite numbers, labels >= 0)
    inputs     Inputs: several input arrays sharing the sample axis (a graph with several inputs)
    pairs      digits_pairs: pairs of digits, same class or not (a Siamese net's data)
"""
from .base import DATA_DIR, DATASETS, SPLIT_KEYS, TARGET_INPUT, Data, Raw, loader_kwargs, target_is_input
from .inputs import Inputs
from . import bundled, synthetic, idx_files, files  # noqa: F401  (register the loaders, in this order)
from . import sequences, text_files, cifar, pairs, strips, tiny_shakespeare  # noqa: F401
from .bundled import breast_cancer, digits
from .checks import check_features, check_targets
from .cifar import cifar10, read_batch as read_cifar_batch
from .files import csv_file, npz
from .idx_files import idx, read_idx
from .loading import Samples, load, load_raw
from .prepare import prepare, split_indices
from .scaling import apply_scaler, fit_scaler
from .synthetic import circles, spirals, xor
from .sequences import ADDING_BASELINE_MSE, adding, parity
from .text_files import encode as encode_text, text
from .strips import digit_strips, strip_lengths
from .tiny_shakespeare import read_text as shakespeare_text, shakespeare

CHARACTER_SETS = ("text", "shakespeare")   # character indices in, data.vocab recorded in the run's config
from .pairs import digits_pairs
