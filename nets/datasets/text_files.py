"""Character-level text: any UTF-8 file as next-character windows.

    data: {name: text, path: input.txt, seq_len: 64, step: 1, scale: none}

The vocabulary is the sorted set of the file's characters (or ``vocab``, a
string, when given). Sample i is the window of ``seq_len`` character indices
starting at i·step, and its label the index of the character that follows, so
a model Embedding → LSTM → LastStep → Linear(len(vocab)) with CrossEntropy
learns p(next character | the previous seq_len). The model's input is integer
indices: keep ``scale: none``.

``kubik train`` writes the vocabulary into the run's config as ``data.vocab``
(see nets/build.py), so it travels in config.yaml and in every checkpoint, and
``kubik sample`` needs only the checkpoint (nets/cli/sample.py).
"""
import numpy as np

from ..config import ConfigError
from .base import DATASETS, Raw, existing_file


def encode(text, vocab, where=("data", "vocab")):
    """Indices of ``text``'s characters in ``vocab``; ConfigError naming unknown ones."""
    table = {c: i for i, c in enumerate(vocab)}
    unknown = sorted({c for c in text if c not in table})
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise ConfigError(f"{len(unknown)} character(s) not in the vocabulary of {len(vocab)}: {shown}", where)
    return np.fromiter((table[c] for c in text), np.int64, len(text))


@DATASETS.register(name="text")
def text(path, seq_len=64, step=1, vocab=None):
    """Next-character windows of a UTF-8 file: X (n, seq_len) indices, y (n,) the next one."""
    for key, v in (("seq_len", seq_len), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"text: {key} must be a positive integer, got {v!r}", ("data", key))
    p = existing_file(path)
    try:
        content = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"text: '{path}' is not UTF-8 ({e.reason} at byte {e.start})", ("data", "path")) from None
    if vocab is None:
        vocab = "".join(sorted(set(content)))
    elif not isinstance(vocab, str) or not vocab or len(set(vocab)) != len(vocab):
        raise ConfigError("text: vocab must be a non-empty string of distinct characters", ("data", "vocab"))
    ids = encode(content, vocab)
    n = (len(ids) - seq_len - 1) // step + 1
    if n < 2:
        raise ConfigError(f"text: '{path}' has {len(ids)} characters, too few for windows of seq_len {seq_len} "
                          f"plus the next character", ("data", "seq_len"))
    starts = np.arange(n) * step
    X = ids[starts[:, None] + np.arange(seq_len)]
    return Raw(X, ids[starts + seq_len], classes=tuple(vocab))
