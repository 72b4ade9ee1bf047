"""kubik.set_num_threads, the auto default by model size, train.threads and --threads."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import kubik
from kubik.layers.runtime import threads
from kubik.nets.cli.parser import parser


def blas_threads():
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_set_num_threads_limits_blas_and_returns_n():
    with threadpool_limits(limits=None):          # restore the suite's limit afterwards
        assert kubik.set_num_threads(2) == 2
        assert blas_threads() <= {2} and kubik.get_num_threads() <= 2
        kubik.set_num_threads(1)
        assert blas_threads() == {1} and kubik.get_num_threads() == 1
    np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, None])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match=r"set_num_threads: n must be an integer >= 1, got"):
        kubik.set_num_threads(bad)


def test_auto_threads_by_model_size(monkeypatch):
    for var in threads._ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert threads.auto_threads(0) == 1
    assert threads.auto_threads(threads.AUTO_MIN_PARAMETERS - 1) == 1
    assert threads.auto_threads(threads.AUTO_MIN_PARAMETERS) == 8
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (5.4, 0.0, 0.0))     # a busy machine: idle cores only
    assert threads.auto_threads(10 ** 7) == 3
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (11.0, 0.0, 0.0))
    assert threads.auto_threads(10 ** 7) == 1
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")            # an explicit limit wins
    assert threads.auto_threads(10 ** 7) == 3
    assert threads.resolve_threads(5, 10) == 5
    with pytest.raises(ValueError, match=r"train.threads: must be an integer >= 1 or 'auto', got 0"):
        threads.resolve_threads(0, 10)


def test_threads_flag_is_a_set_override():
    args = parser().parse_args(["train", "c.yaml", "--set", "train.epochs=2", "--threads", "3"])
    assert args.set == ["train.epochs=2", "train.threads=3"]


def test_config_threads_is_validated_and_resolved(tmp_path):
    from kubik.nets.config import ConfigError, normalize
    from kubik import nets
    base = {"data": {"name": "xor"}, "model": [{"Linear": {"out_features": 2}}], "loss": {"name": "CrossEntropy"},
            "optimizer": {"name": "SGD", "lr": 0.1}}
    with pytest.raises(ConfigError, match="threads"):
        normalize({**base, "train": {"threads": 0}})
    with pytest.raises(ConfigError, match="threads"):
        normalize({**base, "train": {"threads": "many"}})
    assert normalize(base)["train"]["threads"] == "auto"
    with threadpool_limits(limits=None):
        exp = nets.build_experiment(normalize(base))
        assert exp.config["train"]["threads"] == 1             # a tiny model: resolved to one thread
        assert blas_threads() == {1}


def test_threads_do_not_change_the_config_hash():
    from kubik.nets.config import config_hash
    a = {"train": {"threads": 1, "epochs": 2}, "seed": 0}
    b = {"train": {"threads": 4, "epochs": 2}, "seed": 0}
    assert config_hash(a) == config_hash(b)


def test_threads_flag_is_recorded_in_the_run_folder(tmp_path):
    import subprocess
    import sys
    import yaml
    (tmp_path / "c.yaml").write_text("data: {name: xor}\nmodel: [{Linear: 4}, Tanh, {Linear: 2}]\n"
                                     "loss: CrossEntropy\noptimizer: {name: SGD, lr: 0.1}\ntrain: {epochs: 1}\n")
    for flag, expected in ((["--threads", "2"], 2), ([], 1)):     # auto: a tiny model gets one thread
        out = tmp_path / f"run{expected}"
        proc = subprocess.run([sys.executable, "-m", "kubik", "train", str(tmp_path / "c.yaml"), *flag,
                               "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert yaml.safe_load((out / "config.yaml").read_text())["train"]["threads"] == expected
    proc = subprocess.run([sys.executable, "-m", "kubik", "train", str(tmp_path / "c.yaml"), "--threads", "0",
                           "--out", str(tmp_path / "bad"), "--quiet"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "train.threads" in proc.stderr and "Traceback" not in proc.stderr


def test_blas_threads_for_nets_with_sample_parallel_layers():
    from kubik import layers as L
    from kubik import nets
    mlp = nets.Sequential(L.Linear(4, 8), L.ReLU(), L.Linear(8, 2))
    assert threads.blas_threads_for(mlp, 3) == 3
    cnn = nets.Sequential(L.Conv2d(1, 4, 3), L.ReLU(), L.Flatten(), L.Linear(4 * 6 * 6, 2))
    assert threads.blas_threads_for(cnn, 3) == 1
    assert threads.blas_threads_for(nets.Sequential(nets.Sequential(L.Conv1d(2, 2, 3))), 2) == 1
    assert threads.blas_threads_for(L.Conv2d(1, 1, 1), 1) == 1


def test_blas_threads_for_asks_the_convolutions_whether_they_split_this_batch():
    from kubik import layers as L
    from kubik import nets
    from kubik.layers.runtime import parallel
    lenet = nets.Sequential(L.Conv2d(1, 8, 5, padding=2), L.ReLU(), L.MaxPool2d(2), L.Conv2d(8, 16, 5), L.ReLU(),
                            L.MaxPool2d(2), L.Flatten(), L.Linear(400, 10))
    assert threads.blas_threads_for(lenet, 2, (1, 28, 28), 64) == 2        # chunks too small to split
    assert threads.blas_threads_for(lenet, 2) == 1                          # no shapes: by its layers
    cnn = nets.Sequential(L.Conv2d(3, 32, 3, padding=1), L.ReLU(), L.MaxPool2d(2),
                          L.Conv2d(32, 64, 3, padding=1), L.ReLU(), L.Flatten(), L.Linear(64 * 16 * 16, 10))
    assert threads.blas_threads_for(cnn, 2, (3, 32, 32), 64) == 1
    assert threads.blas_threads_for(cnn, 2, (3, 32, 32), 1) == 2           # one sample: nothing to share out
    assert threads.blas_threads_for(cnn, 1, (3, 32, 32), 64) == 1
    wide = L.Conv2d(64, 64, 3, padding=1)                                   # conv3x3: Winograd, 1 MB chunks
    assert wide.splits((64, 32, 32), 32, 2) and not wide.splits((64, 32, 32), 32, 1)
    assert parallel.would_split(32, 1 << 20, 2) and not parallel.would_split(32, 1000, 2)
    res = nets.Sequential(L.Conv2d(3, 16, 1), nets.Residual(nets.Sequential(L.Conv2d(16, 16, 3, padding=1))))
    assert threads.blas_threads_for(res, 2, (3, 64, 64), 32) == 1           # the conv inside the block splits
    assert threads.blas_threads_for(nets.Sequential(L.Conv1d(64, 64, 3, padding=1)), 2, (64, 4096), 32) == 1
    assert threads.blas_threads_for(lenet, 2, (3, 5, 5), 64) == 1           # a shape the net rejects: by its layers


def test_set_num_threads_with_blas_apart():
    from kubik.layers.runtime import parallel
    with threadpool_limits(limits=None):
        try:
            assert kubik.set_num_threads(2, blas=1) == 2
            assert blas_threads() == {1}
            assert parallel.workers() == 2 and kubik.get_num_threads() == 2 and threads.configured() == 2
            for bad in (0, 1.5, True):
                with pytest.raises(ValueError, match=r"set_num_threads: blas must be an integer >= 1, got"):
                    kubik.set_num_threads(2, blas=bad)
        finally:
            kubik.set_num_threads(1)
    assert parallel.workers() == 1


CNN = [{"Conv2d": {"out_channels": 16, "kernel_size": 3}}, "Flatten", {"Linear": {"out_features": 10}}]


@pytest.mark.parametrize("model,small_chunks,blas", [(["Flatten", {"Linear": {"out_features": 10}}], True, {2}),
                                                     (CNN, False, {2}), (CNN, True, {1})])
def test_the_trainer_holds_blas_at_one_thread_when_convolutions_split(monkeypatch, model, small_chunks, blas):
    """digits' 8x8 images are too small to split; with tiny chunks allowed, they split."""
    from kubik import nets
    from kubik.nets.config import normalize
    from kubik.layers.conv import conv
    from kubik.layers.runtime import parallel
    if small_chunks:
        monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 0)
        monkeypatch.setattr(conv, "CACHE_BYTES", 0)
        monkeypatch.setattr(conv, "CHUNK_BYTES", 1)
    cfg = normalize({"data": {"name": "digits", "image": True}, "model": model, "loss": {"name": "CrossEntropy"},
                     "optimizer": {"name": "SGD", "lr": 0.1}, "train": {"threads": 2}})
    with threadpool_limits(limits=None):
        try:
            exp = nets.build_experiment(cfg)
            assert exp.config["train"]["threads"] == 2 and parallel.workers() == 2
            assert blas_threads() == blas
        finally:
            kubik.set_num_threads(1)

def test_set_num_threads_leaves_numba_and_openmp_alone():
    """numba.set_num_threads would launch numba's OpenMP layer and set libgomp's thread
    count for every library sharing it (torch then used two cores while set to one)."""
    import subprocess
    import sys
    code = ("import numba, kubik; kubik.set_num_threads(1); kubik.set_num_threads(2, blas=1); "
            "from numba.np.ufunc import parallel as p; print(p._is_initialized)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
