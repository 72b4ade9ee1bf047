"""One training process per run folder (issue 29): an exclusive lock for the life of
the process, released on any exit, stale locks of dead processes taken over, the
second process refused in one line naming the holder's pid; and a run that fails
before its first step leaves no run folder behind."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets.trainer import run_lock

from cli_run import ROOT, kubik, one_line_error

HOLD = """
import sys, time
from kubik.nets.trainer import run_lock
run_lock.acquire(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    """Another live process holding the lock on tmp_path/run."""
    run = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    yield run, p
    p.kill()
    p.wait()


def test_second_process_is_refused_naming_the_holder(holder):
    run, p = holder
    with pytest.raises(run_lock.RunLocked, match=f"being trained by another process \\(pid {p.pid}\\)"):
        run_lock.acquire(run)
    line = one_line_error(kubik("train", ROOT / "configs" / "digits_mlp.yaml", "--out", run, "--quiet"))
    assert f"pid {p.pid}" in line and str(run) in line
    assert sorted(f.name for f in run.iterdir()) == [".lock"]           # nothing written beside the lock
    line = one_line_error(kubik("train", "--resume", run, "--quiet"))
    assert f"pid {p.pid}" in line


def test_lock_of_a_killed_process_is_stale_and_taken_over(holder):
    run, p = holder
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert (run / ".lock").exists()                 # left behind by SIGKILL
    run_lock.acquire(run)
    assert run_lock.holds(run) and f'"pid": {os.getpid()}' in (run / ".lock").read_text()
    run_lock.release(run)
    assert not (run / ".lock").exists() and not run_lock.holds(run)


def test_lock_is_reentrant_in_one_process_and_released_on_exit(tmp_path):
    run = tmp_path / "run"
    run_lock.acquire(run)
    run_lock.acquire(run)
    run_lock.release(run)
    assert run_lock.holds(run)
    run_lock.release(run)
    assert not run_lock.holds(run)
    r = kubik("train", ROOT / "configs" / "digits_mlp.yaml", "--set", "train.epochs=1", "--out", run, "--quiet")
    assert r.returncode == 0, r.stderr
    assert not (run / ".lock").exists() and (run / "last.npz").exists()


def test_two_trainings_started_together_one_is_refused(tmp_path):
    run = tmp_path / "run"
    args = [sys.executable, "-m", "kubik", "train", str(ROOT / "configs" / "digits_mlp.yaml"),
            "--set", "train.epochs=3", "--out", str(run), "--quiet"]
    procs = [subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=180), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    refused = next(r for r in results if r[0] == 2)[2]
    assert "being trained by another process" in refused or "already holds a run" in refused
    epochs = [line.split(",")[0] for line in (run / "metrics.csv").read_text().splitlines()[1:]]
    assert epochs == ["1", "2", "3"]


BROKEN = textwrap.dedent('''
    from kubik import layers

    @layers.register
    class FailsAtFirstStep(layers.Layer):
        """Identity that raises in forward."""
        def forward(self, X):
            raise RuntimeError("this layer is broken")
        def backward(self, G):
            return G
''')


def test_run_failing_before_its_first_step_leaves_no_folder(tmp_path):
    (tmp_path / "broken.py").write_text(BROKEN)
    config = tmp_path / "exp.yaml"
    config.write_text("imports: [./broken.py]\ndata: digits\nmodel: [FailsAtFirstStep, {Linear: 10}]\n"
                      "train: {epochs: 1}\n")
    r = kubik("train", config, "--out", tmp_path / "run", "--quiet")
    assert r.returncode == 1 and "this layer is broken" in r.stderr
    assert not (tmp_path / "run").exists()
    r = kubik("train", config, "--quiet", cwd=tmp_path)                 # the default runs/<stem>-<time>
    assert r.returncode == 1 and not any((tmp_path / "runs").glob("exp-*"))
    config.write_text(config.read_text().replace("train: {epochs: 1}", "train: {epochs: 1, log: [csv, tensorboard]}"))
    r = kubik("train", config, "--out", tmp_path / "tb", "--quiet")     # TensorBoard's event file too
    assert r.returncode == 1 and not (tmp_path / "tb").exists(), r.stderr
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "mine.txt").write_text("the user's")           # a folder that was there stays
    r = kubik("train", config, "--out", tmp_path / "kept", "--quiet")
    assert r.returncode == 1 and (tmp_path / "kept" / "mine.txt").exists()


def test_embedding_narrower_than_the_vocabulary_is_refused_before_training(tmp_path):
    text = "".join(chr(33 + i % 86) for i in range(3000))             # 86 symbols
    (tmp_path / "t.txt").write_text(text)
    config = tmp_path / "text.yaml"
    config.write_text(f"data: {{name: text, path: {tmp_path / 't.txt'}, seq_len: 8, step: 7, scale: none}}\nmodel:\n"
                      "  - Embedding: {num_embeddings: 65, embedding_dim: 8}\n  - LSTM: {hidden_size: 8}\n"
                      "  - LastStep\n  - Linear: {out_features: 86}\ntrain: {epochs: 1}\n")
    line = one_line_error(kubik("train", config, "--out", tmp_path / "run"))
    assert line == (f"error: {config}:3: model[0].Embedding.num_embeddings: 65 rows, but the data holds indices up to "
                    f"85 (the text's vocabulary of 86 symbols): the first batch would fail; set num_embeddings to 86")
    assert not (tmp_path / "run").exists()


def test_python_fit_failing_before_its_first_step_leaves_no_folder(tmp_path):
    X, y = np.zeros((8, 3), np.float32), np.zeros(8, np.int64)
    net = nets.Sequential(layers.Linear(3, 2, rng=0))
    opt = optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError):
        nets.fit(net, losses.MSE(), opt, (X, y), epochs=1, out=tmp_path / "run", progress=False, log=lambda *a: None)
    assert not (tmp_path / "run").exists()
