"""``kubik sample RUN [--length 200] [--temperature 0.8] [--prime TEXT] [--seed 0]``:
generate text from a character model trained on the ``text`` or ``shakespeare`` data set
(a model that ends in one score vector per window, or one per step: the last step's is used).

RUN is a run folder (its best.npz, else last.npz) or a checkpoint file. The
model is rebuilt from the config the checkpoint holds, whose ``data.vocab`` is
the vocabulary (written there by ``kubik train``), so the training text is not
needed. Each new character is drawn from softmax(logits / temperature) of the
model applied to the last ``seq_len`` characters, with a generator seeded by
``--seed``: the same command prints the same text.
"""
from pathlib import Path

import numpy as np

from .. import checkpoint
from ..builders.model import build_model
from ..checkpoint.format import label
from ..config import ConfigError, Source, normalize
from ..datasets import CHARACTER_SETS, encode_text
from .common import import_code, out
from .parser import UsageError


def _checkpoint_path(run):
    p = Path(run)
    if p.is_dir():
        for name in ("best.npz", "last.npz"):
            if (p / name).is_file():
                return p / name
        raise UsageError(f"kubik sample: '{run}' holds no best.npz or last.npz")
    if not p.is_file():
        raise UsageError(f"kubik sample: '{run}' is neither a run folder nor a checkpoint")
    return p


def generate(net, vocab, prime, length, temperature, seq_len, rng):
    """``prime`` followed by ``length`` characters drawn from the model."""
    ids = list(encode_text(prime, vocab, where=("--prime",)))
    net.eval()
    V = len(vocab)
    for _ in range(length):
        window = np.array([ids[-seq_len:]], np.float32)   # integral floats, as the training data
        logits = np.asarray(net.forward(window), np.float64)
        logits = (logits[0, -1] if logits.ndim == 3 else logits[0])[:V] / temperature
        p = np.exp(logits - logits.max())
        ids.append(int(rng.choice(V, p=p / p.sum())))
    return "".join(vocab[i] for i in ids)


def cmd_sample(args):
    if not args.length >= 0:
        raise UsageError(f"kubik sample: --length must be >= 0, got {args.length}")
    if not args.temperature > 0 or args.temperature == float("inf"):
        raise UsageError(f"kubik sample: --temperature must be a finite number > 0, got {args.temperature}")
    if not 0 <= args.seed < 2 ** 63:
        raise UsageError(f"kubik sample: --seed must be an integer >= 0, got {args.seed}")
    ckpt = checkpoint.read(_checkpoint_path(args.run))
    cfg = ckpt.config
    if not isinstance(cfg, dict) or not isinstance(cfg.get("data"), dict) \
            or cfg["data"].get("name") not in CHARACTER_SETS or not isinstance(cfg["data"].get("vocab"), str):
        raise checkpoint.CheckpointError(f"{label(ckpt.path)} is not a character model trained on the "
                                         f"{' or '.join(CHARACTER_SETS)} data set (its config has no data.vocab)")
    source = Source(f"{ckpt.path} (its config)")
    with source.placing():
        cfg = normalize(cfg)
    import_code(cfg, source, ckpt.path.parent, args.imports)
    with source.placing():
        vocab, seq_len = cfg["data"]["vocab"], int(cfg["data"].get("seq_len", 64))
        net, _, _ = build_model(cfg["model"], (seq_len,))
    checkpoint.restore(ckpt, net, weights_only=True)
    width = net.output_shape((seq_len,))[-1]
    if width != len(vocab):      # one score per character of the vocabulary, the model's class set
        raise UsageError(f"kubik sample: {label(ckpt.path)} gives {width} scores per step, but its vocabulary has "
                         f"{len(vocab)} characters (a model trained with a narrower last layer); train it with "
                         f"out_features: {len(vocab)}")
    rng = np.random.default_rng(args.seed)
    prime = args.prime if args.prime is not None else vocab[int(rng.integers(len(vocab)))]
    if not prime:
        raise UsageError("kubik sample: --prime must not be empty")
    try:
        text = generate(net, vocab, prime, args.length, args.temperature, seq_len, rng)
    except ConfigError as e:
        raise UsageError(f"kubik sample: --prime: {e.message}") from None
    out(text)
    return 0
