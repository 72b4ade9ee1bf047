"""The ``text`` data set (next-character windows, vocabulary in the run's config
and checkpoints) and ``kubik sample`` (seeded, reproducible, needs no text file)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from kubik.nets import ConfigError
from kubik.nets import checkpoint as K
from kubik.nets.datasets import text

ROOT = Path(__file__).resolve().parent.parent
WORDS = "the cat sat on a mat and the dog ran to the big red ball".split()


def kubik(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "kubik", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=180)


def test_windows_and_vocabulary_by_hand(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("abcabé!", encoding="utf-8")           # 7 characters, é is two bytes in UTF-8
    raw = text(f, seq_len=3, step=2)
    assert raw.classes == ("!", "a", "b", "c", "é")
    np.testing.assert_array_equal(raw.X, [[1, 2, 3], [3, 1, 2]])   # 'abc', 'cab'
    np.testing.assert_array_equal(raw.y, [1, 4])                     # then 'a', 'é'
    fixed = text(f, seq_len=2, vocab="éabc!x")
    assert fixed.classes == tuple("éabc!x") and fixed.X[0].tolist() == [1, 2]


def test_loader_errors(tmp_path):
    f = tmp_path / "t.txt"
    f.write_bytes(b"ab\xff\xfecd")
    with pytest.raises(ConfigError, match="not UTF-8"):
        text(f, seq_len=2)
    f.write_text("abc", encoding="utf-8")
    with pytest.raises(ConfigError, match="too few"):
        text(f, seq_len=3)
    with pytest.raises(ConfigError, match=r"not in the vocabulary of 2: 'c'"):
        text(f, seq_len=1, vocab="ab")
    with pytest.raises(ConfigError, match="seq_len"):
        text(f, seq_len=0)
    with pytest.raises(ConfigError, match="not found"):
        text(tmp_path / "missing.txt")


CONFIG = """\
seed: 0
data: {name: text, path: tiny.txt, seq_len: 12, step: 3, scale: none}
model:
  - Embedding: {num_embeddings: VOCAB, embedding_dim: 8}
  - LSTM: {hidden_size: 32}
  - LastStep
  - Linear: {out_features: VOCAB}     # exactly the vocabulary size (wider is refused)
loss: CrossEntropy
optimizer: {name: Adam, lr: 0.01}
train: {epochs: 3, batch_size: 32, val_split: 0.1}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("char")
    rng = np.random.default_rng(0)
    text = " ".join(rng.choice(WORDS, 400)) + "\n"
    (d / "tiny.txt").write_text(text, encoding="utf-8")
    (d / "char.yaml").write_text(CONFIG.replace("VOCAB", str(len(set(text)))))
    proc = kubik("train", "char.yaml", "--out", "run", "--quiet", cwd=d)
    assert proc.returncode == 0, proc.stderr
    (d / "tiny.txt").unlink()                 # sampling needs only the checkpoint
    return d / "run"


def test_vocabulary_is_stored_in_config_and_checkpoint(run):
    vocab = "".join(sorted(set(" ".join(WORDS) + "\n")))
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["vocab"] == vocab
    assert K.read(run / "best.npz").config["data"]["vocab"] == vocab


def test_sample_is_seeded_and_reproducible(run):
    a = kubik("sample", run, "--length", "200", "--temperature", "0.8", "--prime", "the ")
    b = kubik("sample", run / "last.npz", "--length", "200", "--temperature", "0.8", "--prime", "the ", "--seed", "0")
    c = kubik("sample", run, "--length", "200", "--prime", "the ", "--seed", "1")
    assert a.returncode == 0, a.stderr
    out = a.stdout.rstrip("\n")
    assert out.startswith("the ") and len(out) == 204
    assert set(out) <= set(" ".join(WORDS) + "\n")
    assert c.stdout != a.stdout                       # another seed, another text
    assert b.returncode == 0 and len(b.stdout.rstrip("\n")) == 204
    again = kubik("sample", run, "--length", "200", "--temperature", "0.8", "--prime", "the ")
    assert again.stdout == a.stdout
    cold = kubik("sample", run, "--length", "50", "--temperature", "0.05", "--prime", "the ")
    words = cold.stdout.split()[1:-1]                 # near-greedy: real words of the text
    assert words and sum(w in WORDS for w in words) >= 0.8 * len(words)


@pytest.mark.parametrize("args,message", [(("--prime", "xyz"), "not in the vocabulary"),
                                          (("--temperature", "0"), "--temperature must be a finite number > 0"),
                                          (("--length", "-1"), "--length must be >= 0")])
def test_sample_errors_are_one_line(run, args, message):
    proc = kubik("sample", run, *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_sample_refuses_a_model_without_vocabulary(tmp_path):
    proc = kubik("train", ROOT / "configs" / "digits_mlp.yaml", "--set", "train.epochs=1", "--out", tmp_path / "r",
                 "--quiet")
    assert proc.returncode == 0
    proc = kubik("sample", tmp_path / "r")
    assert proc.returncode == 2 and "no data.vocab" in proc.stderr
    assert kubik("sample", tmp_path / "nothing").returncode == 2


def test_text_must_not_be_scaled(tmp_path):
    (tmp_path / "t.txt").write_text("hello world " * 20)
    (tmp_path / "c.yaml").write_text(CONFIG.replace("tiny.txt", "t.txt").replace("scale: none", "scale: standard"))
    proc = kubik("train", "c.yaml", "--out", "r", cwd=tmp_path)
    assert proc.returncode == 2 and "data.scale" in proc.stderr and "Traceback" not in proc.stderr


def test_vocabulary_is_the_class_set_even_for_a_first_only_character(tmp_path):
    """'Q' only opens the text, so no label is 'Q': the documented out_features = len(set(text))
    still fits (the vocabulary is the model's class set), and kubik sample works."""
    text = "Q" + "abc abd bca " * 40
    (tmp_path / "q.txt").write_text(text)
    (tmp_path / "q.yaml").write_text(CONFIG.replace("tiny.txt", "q.txt").replace("VOCAB", str(len(set(text))))
                                     .replace("epochs: 3", "epochs: 1"))
    proc = kubik("train", "q.yaml", "--out", "r", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = kubik("sample", tmp_path / "r", "--length", "20", "--prime", "Q")
    assert proc.returncode == 0 and len(proc.stdout.strip()) == 21, proc.stderr
    narrow = CONFIG.replace("tiny.txt", "q.txt").replace("out_features: VOCAB", f"out_features: {len(set(text)) - 1}")
    (tmp_path / "n.yaml").write_text(narrow.replace("VOCAB", str(len(set(text)))))
    proc = kubik("train", "n.yaml", "--out", "n", cwd=tmp_path)
    assert proc.returncode == 2 and f"the data has {len(set(text))} classes" in proc.stderr


def test_sample_refuses_a_negative_seed_and_a_model_narrower_than_its_vocabulary(run, tmp_path):
    proc = kubik("sample", run, "--seed", "-1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--seed must be an integer >= 0" in proc.stderr
    from checkpoint_edit import edit_checkpoint

    def wider_vocab(meta):          # trained before the vocabulary was the class set: a narrower last layer
        meta["config"]["data"]["vocab"] += "Z"
    edited = edit_checkpoint(run / "best.npz", tmp_path / "edited.npz", meta=wider_vocab)
    proc = kubik("sample", edited)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "scores per step, but its vocabulary has" in proc.stderr
