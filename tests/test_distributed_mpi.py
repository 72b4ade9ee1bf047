"""Data-parallel training under ``mpirun -n 2`` and ``-n 3`` (the mpich wheel of
the ``[mpi]`` extra, installed by ``.[test]``): the same weights as one
process with the same global batch, the same weights on every rank, an
exception on one rank ending the whole job, exact resume, SyncBatchNorm equal
to BatchNorm in one process, and ``kubik train`` under mpirun.

Every run is tiny (tests/mpi_worker.py: 58 samples, global batch 10) with one
BLAS thread per rank: MPI ranks busy-wait, so on a small shared machine each
run is kept to a few seconds.

With 2 ranks the weights are bitwise those of one process that takes each
global batch as two micro-batches (accumulate 2, the ranks' halves): both add
rank 0's gradient and rank 1's. One process on whole batches agrees to ~1e-15
in float64 but not bitwise: the batch-contracting products (X.T @ G, BLAS
fused multiply-adds) sum the batch in one chain instead of adding two partial
sums. With 3 ranks the allreduce may add in another order: allclose.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

WORKER = Path(__file__).with_name("mpi_worker.py")
PRIMITIVES = Path(__file__).with_name("mpi_primitives.py")
ROOT = Path(__file__).resolve().parents[1]


def _mpirun():
    here = Path(sys.executable).parent / "mpirun"
    found = str(here) if here.exists() else shutil.which("mpirun")
    assert found, 'mpirun not found: install the test extra, pip install -e ".[test]" (mpich wheel)'
    return found


def _env():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID"):
        env.pop(k, None)
    return env


def _run(args, ranks=None, timeout=60, check=True):
    cmd = ([_mpirun(), "-n", str(ranks)] if ranks else []) + list(args)
    p = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if check:
        assert p.returncode == 0, f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return p


def _train(out, kind, dtype, ranks=None, *extra):
    _run([sys.executable, str(WORKER), str(out), kind, dtype, *extra], ranks)
    n = ranks or 1
    return [dict(np.load(Path(out) / f"rank{r}.npz")) for r in range(n)]


@pytest.fixture(autouse=True)
def _no_hydra_leftovers():
    """mpich's hydra leaves a hwloc topology file in /tmp (ignoring TMPDIR) when a
    job ends abnormally (the kill test): remove those a test created."""
    pattern = "hydra_hwloc_xmlfile_*"
    before = set(Path("/tmp").glob(pattern))
    yield
    for f in set(Path("/tmp").glob(pattern)) - before:
        try:
            if f.stat().st_uid == os.getuid():
                f.unlink()
        except OSError:
            pass


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("mpi")


def _weights(state):
    return {k: v for k, v in state.items() if k not in ("val_loss", "train_loss", "step")}


def _same_on_every_rank(states):
    for s in states[1:]:
        for k, v in _weights(states[0]).items():
            assert np.array_equal(v, s[k]), f"{k} differs between ranks"
        assert np.array_equal(states[0]["val_loss"], s["val_loss"])


def test_collectives_broadcasts_distributed_optimizer_and_sync_batchnorm_over_three_ranks():
    p = _run([sys.executable, str(PRIMITIVES)], 3)
    assert all(f"rank {r} ok" in p.stdout for r in range(3)), p.stdout       # lines may interleave


def test_two_ranks_float64_match_one_process_bitwise(tmp):
    # One process summing the two halves of each global batch of 10 as two micro-batches of 5
    # (accumulate 2) adds exactly what the allreduce adds: rank 0's gradient + rank 1's.
    micro = _train(tmp / "micro64", "mlp", "float64", None, "--batch", "5", "--accumulate", "2", "--samples", "60")[0]
    two = _train(tmp / "two64", "mlp", "float64", 2, "--samples", "60")
    _same_on_every_rank(two)
    for k, v in _weights(micro).items():
        assert np.array_equal(two[0][k], v), f"{k}: 2 ranks differ from one process by {np.abs(two[0][k] - v).max()}"
    for k in ("train_loss", "val_loss"):    # reported sums: (s + a) + b on one process, s + (a + b) over ranks
        np.testing.assert_allclose(two[0][k], micro[k], rtol=1e-14, atol=0, err_msg=k)
    # One process on whole batches of 10: the same up to the order of additions inside BLAS.
    one = _train(tmp / "one64", "mlp", "float64")[0]
    two = _train(tmp / "two64b", "mlp", "float64", 2)
    for k, v in one.items():
        np.testing.assert_allclose(two[0][k], v, rtol=1e-12, atol=0, err_msg=k)
    assert not np.array_equal(one["0.weight"], _train(tmp / "init", "mlp", "float64", None, "--epochs", "1")[0][
        "0.weight"]), "training changed nothing: the comparison would prove nothing"


def test_a_graph_with_two_inputs_two_outputs_and_a_shared_layer_trains_data_parallel(tmp):
    # As above, for a Graph fed Inputs and trained on OutputLosses. The shared encoder's gradient
    # is the sum of its two uses, so the sums associate differently: (a1 + b1) + (a2 + b2) over
    # the ranks, ((a1 + b1) + a2) + b2 accumulated in one process: equal to rounding.
    micro = _train(tmp / "gmicro", "graph", "float64", None, "--batch", "5", "--accumulate", "2", "--samples", "60")[0]
    two = _train(tmp / "gtwo", "graph", "float64", 2, "--samples", "60")
    _same_on_every_rank(two)
    assert {"e1.0.weight", "logits.weight", "aux.weight"} <= set(micro)
    for k, v in _weights(micro).items():
        np.testing.assert_allclose(two[0][k], v, rtol=1e-12, atol=1e-15, err_msg=k)
    start = _train(tmp / "ginit", "graph", "float64", None, "--epochs", "1", "--samples", "60")[0]
    assert not np.array_equal(start["e1.0.weight"], micro["e1.0.weight"])


def test_three_ranks_uneven_shards_and_accumulation_float32_match_one_process(tmp):
    # accumulate 2: groups of 20 samples (7+7+6 a rank); the last group is one short batch of 8 (3+3+2)
    one = _train(tmp / "one32", "mlp", "float32", None, "--accumulate", "2")[0]
    three = _train(tmp / "three32", "mlp", "float32", 3, "--accumulate", "2")
    _same_on_every_rank(three)
    for k, v in one.items():
        assert v.dtype == three[0][k].dtype
        np.testing.assert_allclose(three[0][k], v, rtol=1e-5, atol=1e-6, err_msg=k)


def test_sync_batchnorm_over_three_ranks_equals_batchnorm_in_one_process(tmp):
    bn = _train(tmp / "bn64", "plainbn", "float64")[0]
    sync = _train(tmp / "sync64", "syncbn", "float64", 3)
    _same_on_every_rank(sync)
    for k, v in bn.items():
        np.testing.assert_allclose(sync[0][k], v, rtol=1e-10, atol=1e-12, err_msg=k)
    assert int(sync[0]["1.num_batches_tracked"]) == 18      # 6 global batches x 3 epochs, not per rank


def test_resume_under_mpi_is_bit_identical_and_another_world_size_is_refused(tmp):
    # BatchNorm (running statistics averaged over the ranks), Dropout (a stream per rank), momentum
    whole = _train(tmp / "whole", "bn", "float32", 2, "--run", str(tmp / "run_whole"))
    _train(tmp / "part", "bn", "float32", 2, "--run", str(tmp / "run_part"), "--epochs", "2")
    resumed = _train(tmp / "part", "bn", "float32", 2, "--run", str(tmp / "run_part"), "--resume")
    # mid-epoch: rank 0 alone asks to stop after step 7; every rank stops after step 8 (epoch 2, batch 2)
    stopped = _train(tmp / "mid", "bn", "float32", 2, "--run", str(tmp / "run_mid"), "--stop-step", "7")
    assert [int(s["step"]) for s in stopped] == [8, 8]
    from kubik import nets
    ckpt = nets.checkpoint.read(tmp / "run_mid" / "last.npz")      # mid-epoch: the ranks' statistics differ
    rows = np.asarray(ckpt.trainer["rank_buffers"])
    assert rows.shape == (2, 32) and not np.array_equal(rows[0], rows[1])
    model = ckpt.model_state()
    np.testing.assert_allclose(model["1.running_mean"], rows[:, :16].mean(0), rtol=1e-6)
    assert np.array_equal(stopped[0]["1.running_mean"], rows[0, :16].astype(np.float32))   # rank 0 kept its own
    mid = _train(tmp / "mid", "bn", "float32", 2, "--run", str(tmp / "run_mid"), "--resume")
    for r in range(2):
        for k, v in _weights(whole[r]).items():
            assert np.array_equal(v, resumed[r][k]), f"rank {r}: {k} differs after resume"
            assert np.array_equal(v, mid[r][k]), f"rank {r}: {k} differs after a mid-epoch resume"
    _same_on_every_rank(whole)
    ckpt = nets.checkpoint.read(tmp / "run_part" / "last.npz")
    assert ckpt.trainer["world_size"] == 2 and "rank1/package" in ckpt.meta["rng"]
    assert ckpt.meta["rng"]["rank1/package"] != ckpt.meta["rng"]["package"]     # own dropout stream
    p = _run([sys.executable, str(WORKER), str(tmp / "x"), "bn", "float32", "--run", str(tmp / "run_part"),
              "--resume", "--epochs", "4"], None, check=False)
    assert p.returncode != 0 and "written by 2 rank(s) and this run has 1" in p.stderr


def test_batchnorm_running_statistics_are_the_ranks_mean_at_each_epoch_end(tmp):
    """average_buffers: at every epoch's end each rank holds the mean of the ranks' own running
    statistics (not their sum, which would also agree between ranks and resume bitwise)."""
    _train(tmp / "buf", "bn", "float64", 2, "--buffer-log")
    logs = [dict(np.load(tmp / "buf" / f"buffers{r}.npz")) for r in range(2)]
    afters = [k for k in logs[0] if k.startswith("after/")]
    assert len(afters) == 3 * 2                                   # 3 epochs, running_mean and running_var
    for key in afters:
        before = key.replace("after/", "before/")
        own = [logs[r][before] for r in range(2)]
        assert not np.array_equal(own[0], own[1]), "the ranks' statistics agree: the check would prove nothing"
        for r in range(2):
            np.testing.assert_allclose(logs[r][key], (own[0] + own[1]) / 2, rtol=1e-13, atol=0, err_msg=key)


@pytest.mark.parametrize("how", ["--crash-rank", "--kill-rank"])
def test_an_exception_or_a_kill_on_one_rank_ends_the_whole_job_within_seconds(tmp, how):
    start = time.perf_counter()
    p = _run([sys.executable, str(WORKER), str(tmp / "crash"), "mlp", "float32", how, "1"], 2,
             timeout=30, check=False)
    elapsed = time.perf_counter() - start
    assert p.returncode != 0
    if how == "--crash-rank":
        assert "rank 1 fails on purpose" in p.stderr and "aborting the job" in p.stderr
    assert elapsed < 10, f"the job took {elapsed:.1f}s to end"      # rank 0 would wait in a collective


CONFIG = """
seed: 0
data: {name: spirals, n_samples: 150, classes: 3, noise: 0.2, turns: 1.0, test_split: 0.2, seed: 0, scale: none}
model:
  - Linear: {out_features: 16}
  - SyncBatchNorm
  - ReLU
  - Dropout: {p: 0.1}
  - Linear: {out_features: 3}
loss: CrossEntropy
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
train: {epochs: 2, batch_size: 10, val_split: 0.1}
"""


def test_kubik_train_under_mpirun(tmp):
    out, cfg = tmp / "cli", tmp / "sync.yaml"
    cfg.write_text(CONFIG)
    p = _run([sys.executable, "-m", "kubik", "train", str(cfg), "--out", str(out), "--log-every", "0"], 3)
    assert "world size 3 (3 ranks over MPI): global batch 10, 3-4 per rank" in p.stdout
    assert p.stdout.count("world size") == 1 and p.stdout.count("plot it with") == 1, p.stdout   # rank 0 alone prints
    assert p.stdout.count("test split, final weights") == 1 and p.stdout.count("test split, best weights") == 1
    assert (out / "last.npz").exists() and (out / "metrics.csv").read_text().count("\n") == 3
    bad = _run([sys.executable, "-m", "kubik", "train", "--resume", str(out)], None, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "mpirun -n 3" in bad.stderr
