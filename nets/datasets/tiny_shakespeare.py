"""Tiny Shakespeare (nets/data/tinyshakespeare.txt.gz, public domain; see nets/data/README.md)
as next-character prediction at every position of a window."""
import gzip

import numpy as np

from ..config import ConfigError
from .base import DATA_DIR, DATASETS, Raw
from .text_files import encode

PARTS = (0.9, 0.05, 0.05)      # train, validation, test: consecutive parts of the text, in this order


def read_text():
    """The whole text (1 115 394 characters, 65 distinct)."""
    with gzip.open(DATA_DIR / "tinyshakespeare.txt.gz", "rt", encoding="utf-8") as f:
        return f.read()


def windows(ids, seq_len, step):
    """X (n, seq_len) windows of ``ids`` every ``step`` characters, y the same shifted by one."""
    n = (len(ids) - seq_len - 1) // step + 1
    if n < 1:
        return np.zeros((0, seq_len), np.int64), np.zeros((0, seq_len), np.int64)
    idx = (np.arange(n) * step)[:, None] + np.arange(seq_len)[None, :]
    return ids[idx], ids[idx + 1]


@DATASETS.register(name="shakespeare")
def shakespeare(seq_len=128, step=None, vocab=None):
    """Windows of ``seq_len`` character indices, each labelled with the next character at every
    position: X (n, seq_len), y (n, seq_len) with y[:, t] = X[:, t + 1] (a language model's
    targets: a model outputs (seq_len, vocabulary) scores, CrossEntropy takes them as they are).
    The text is split by position, not at random: the first 90 % trains, the next 5 % is the
    validation split (used instead of ``train.val_split``), the last 5 % the test split; windows
    never cross a boundary. ``step``: characters between window starts (default seq_len, no
    overlap). The vocabulary is the text's 65 characters, sorted (or ``vocab``)."""
    for key, v in (("seq_len", seq_len), ("step", seq_len if step is None else step)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"shakespeare: {key} must be a positive integer, got {v!r}", ("data", key))
    text = read_text()
    if vocab is None:
        vocab = "".join(sorted(set(text)))
    elif not isinstance(vocab, str) or len(set(vocab)) != len(vocab) or not vocab:
        raise ConfigError("shakespeare: vocab must be a non-empty string of distinct characters", ("data", "vocab"))
    ids = encode(text, vocab)
    a = int(PARTS[0] * len(ids))
    b = a + int(PARTS[1] * len(ids))
    step = seq_len if step is None else step
    parts = [windows(part, seq_len, step) for part in (ids[:a], ids[a:b], ids[b:])]
    if min(len(p[0]) for p in parts) < 1:
        raise ConfigError(f"shakespeare: seq_len {seq_len} is longer than the validation part "
                          f"({b - a} characters)", ("data", "seq_len"))
    (X, y), (X_val, y_val), (X_test, y_test) = parts
    return Raw(X, y, X_test, y_test, classes=tuple(vocab), X_val=X_val, y_val=y_val)
