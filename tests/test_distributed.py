"""nets.distributed in one process: the single-process communicator, launcher
detection, the missing-mpi4py message, gradient packing, DistributedOptimizer,
sharding, and SyncBatchNorm being BatchNorm bit for bit. (Runs over MPI:
tests/test_distributed_mpi.py.)"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kubik import layers, losses, nets, optim
from kubik.nets import distributed as dist
from kubik.nets.cli import main


class Doubling(dist.Communicator):
    """Two ranks that hold the same values: allreduce doubles; counts the calls."""
    rank, size = 0, 2

    def __init__(self):
        self.calls = 0

    def allreduce(self, array):
        self.calls += 1
        array *= 2
        return array

    def broadcast(self, array, root=0):
        return array


class ThreeRanks(dist.Communicator):
    """Rank 0 of three whose other ranks hold ``others``: allreduce adds them in."""
    rank, size = 0, 3

    def __init__(self, others):
        self.others = others

    def allreduce(self, array):
        array += sum(self.others)
        return array


def test_average_buffers_is_the_mean_over_the_ranks_on_a_fake_communicator():
    net = nets.Sequential(layers.Linear(2, 3, rng=0), layers.BatchNorm1d(3), nets.SyncBatchNorm(3))
    bn, sync = net.children()[1], net.children()[2]
    bn.running_mean[...] = [1.0, 2.0, 3.0]
    bn.running_var[...] = [4.0, 5.0, 6.0]
    sync.running_mean[...] = [7.0, 7.0, 7.0]
    others = [np.array([3.0, 5.0, 9.0, 1.0, 2.0, 3.0]), np.array([5.0, 5.0, 3.0, 7.0, 2.0, 0.0])]
    dist.DataParallel(ThreeRanks(others)).average_buffers(net)
    np.testing.assert_array_equal(bn.running_mean, [3.0, 4.0, 5.0])          # (1+3+5)/3, (2+5+5)/3, (3+9+3)/3
    np.testing.assert_array_equal(bn.running_var, [4.0, 3.0, 3.0])
    assert bn.running_mean.dtype == np.float32
    np.testing.assert_array_equal(sync.running_mean, [7.0, 7.0, 7.0])        # already agrees: left alone
    one = nets.Sequential(layers.BatchNorm1d(3))
    one.children()[0].running_mean[...] = 2.0
    dist.DataParallel(dist.SingleProcess()).average_buffers(one)
    np.testing.assert_array_equal(one.children()[0].running_mean, [2.0, 2.0, 2.0])


def test_single_process_collectives_leave_values_as_they_are():
    comm = dist.SingleProcess()
    a = np.arange(5.0)
    assert comm.rank == 0 and comm.size == 1 and comm.is_root
    assert comm.allreduce(a) is a and np.array_equal(a, np.arange(5.0))
    assert comm.broadcast(a) is a
    comm.barrier()
    with pytest.raises(ValueError, match="C-contiguous"):
        comm.allreduce(np.zeros((4, 4))[:, 0])
    with pytest.raises(TypeError, match="numpy array"):
        comm.allreduce([1.0])
    with pytest.raises(SystemExit) as e:
        comm.abort(3)
    assert e.value.code == 3
    assert dist.broadcast_json(comm, {"a": [1, 2 ** 100]}) == {"a": [1, 2 ** 100]}
    assert dist.allgather_json(comm, "x") == ["x"]


@pytest.mark.parametrize("env,expected", [
    ({}, None),
    ({"PMI_RANK": "0", "PMI_SIZE": "2"}, "mpirun (MPICH / hydra)"),
    ({"OMPI_COMM_WORLD_SIZE": "4"}, "mpirun (Open MPI)"),
    ({"SLURM_PROCID": "0", "SLURM_NTASKS": "4"}, "srun (Slurm)"),
    ({"SLURM_PROCID": "0", "SLURM_NTASKS": "1"}, None),                        # a one-task job
    ({"SLURM_PROCID": "0", "SLURM_NTASKS": "8", "SLURM_STEP_NUM_TASKS": "1"}, None),   # a batch script
])
def test_launcher_is_told_by_the_environment(env, expected):
    assert dist.launcher(env) == expected


def test_world_is_one_process_without_a_launcher_and_mpi4py_stays_unimported(monkeypatch):
    for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID"):
        monkeypatch.delenv(k, raising=False)
    old = dist.set_world(None)
    try:
        assert isinstance(dist.world(), dist.SingleProcess)
    finally:
        dist.set_world(old)
    code = ("import sys; import numpy as np; from kubik import nets, layers, losses, optim; "
            "net = nets.Sequential(layers.Linear(2, 2)); "
            "nets.fit(net, losses.MSE(), optim.SGD(net.parameters(), lr=0.1), "
            "(np.zeros((4, 2), np.float32), np.zeros((4, 2), np.float32)), epochs=1, log=lambda *a: None, "
            "progress=False); assert 'mpi4py' not in sys.modules, 'mpi4py imported'")
    env = {k: v for k, v in os.environ.items() if k not in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_missing_mpi4py_under_a_launcher_is_one_line_naming_the_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PMI_RANK", "0")
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setitem(__import__("sys").modules, "mpi4py", None)     # import fails
    old = dist.set_world(None)
    try:
        with pytest.raises(dist.DistributedError, match=r'pip install -e "\.\[mpi\]"'):
            dist.MPICommunicator(install_hook=False)
        dist.set_world(None)
        cfg = str(Path(__file__).resolve().parents[1] / "configs" / "spirals.yaml")
        code = main(["train", cfg, "--out", str(tmp_path / "r")])
    finally:
        dist.set_world(old)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "mpi4py" in err and ".[mpi]" in err


def test_shards_are_contiguous_and_cover_the_batch():
    for n, size in ((10, 3), (8, 2), (7, 7), (100, 4)):
        bounds = [dist.shard(n, r, size) for r in range(size)]
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        assert max(h - l for l, h in bounds) - min(h - l for l, h in bounds) <= 1
    assert [dist.shard(10, r, 3) for r in range(3)] == [(0, 4), (4, 7), (7, 10)]


def test_a_batch_that_leaves_a_rank_without_samples_is_refused():
    dp = dist.DataParallel(Doubling())
    dp.check_batches(10, 4, False)      # last batch of 2: one sample each
    with pytest.raises(ValueError, match="batch_size 4, 9 samples"):
        dp.check_batches(9, 4, False)   # last batch of 1
    dp.check_batches(9, 4, True)        # dropped
    with pytest.raises(ValueError, match="cannot give each of the 2 ranks"):
        dp.check_batches(10, 1, True)
    dist.DataParallel().check_batches(1, 1, False)


def _net():
    layers.seed(0)
    return nets.Sequential(layers.Linear(4, 3), layers.Tanh(), layers.Linear(3, 2))


def _backward(net):
    X = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    loss = losses.CrossEntropy()
    loss.forward(net.forward(X), np.array([0, 1, 1, 0, 1]))
    net.backward(loss.backward())


def test_gradients_reduce_in_place_in_a_flat_buffer_and_by_packing_otherwise():
    for flat, make in [(f, m) for f in (True, False) for m in (optim.SGD, optim.Adam)]:
        net = _net()
        if flat:
            net.flatten_parameters()                                # gradients back to back in one array
        opt = make(net.parameters(), lr=0.1)
        _backward(net)
        before = [p.grad.copy() for p in net.parameters()]
        comm = Doubling()
        reducer = dist.GradientReducer(opt.parameters(), comm)
        reducer.reduce()
        assert comm.calls == 1                                      # one buffer
        assert reducer.in_place == flat
        for p, b in zip(net.parameters(), before):
            assert np.array_equal(p.grad, 2 * b)
    dist.GradientReducer(opt.parameters(), dist.SingleProcess()).reduce()      # a no-op


def test_distributed_optimizer_reduces_once_before_clipping_and_delegates():
    net = _net()
    inner = optim.SGD(net.parameters(), lr=0.5)
    comm = Doubling()
    opt = dist.DistributedOptimizer(inner, comm)
    _backward(net)
    g = [p.grad.copy() for p in net.parameters()]
    w = [p.data.copy() for p in net.parameters()]
    opt.synchronize()
    opt.step()                      # does not reduce again
    assert comm.calls == 1
    for p, g0, w0 in zip(net.parameters(), g, w):
        np.testing.assert_allclose(p.data, w0 - 0.5 * 2 * g0, rtol=1e-6)
    opt.lr = 0.25                   # a schedule's write reaches the wrapped optimizer
    assert inner.lr == 0.25 and opt.state_dict()["lr"] == 0.25
    opt.zero_grad()
    opt.step()
    assert comm.calls == 2
    with pytest.raises(TypeError, match="expected an optimizer"):
        dist.DistributedOptimizer(object(), comm)


def test_broadcasts_in_one_process_change_nothing():
    net = _net()
    opt = optim.Adam(net.parameters(), lr=0.1)
    _backward(net)
    opt.step()
    state = net.state_dict()
    dist.broadcast_parameters(net, dist.SingleProcess())
    dist.broadcast_optimizer_state(opt, dist.SingleProcess())
    assert all(np.array_equal(v, net.state_dict()[k]) for k, v in state.items())
    with pytest.raises(TypeError, match="Layer or Parameters"):
        dist.broadcast_parameters([1.0], dist.SingleProcess())


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 2, 2)])
def test_sync_batchnorm_in_one_process_is_batchnorm_bit_for_bit(shape):
    X = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    G = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    ref = (layers.BatchNorm2d if len(shape) == 4 else layers.BatchNorm1d)(3, momentum=0.2)
    sync = nets.SyncBatchNorm(3, momentum=0.2)
    for _ in range(2):
        assert np.array_equal(sync.forward(X), ref.forward(X))
        assert np.array_equal(sync.backward(G), ref.backward(G))
    for k, v in ref.state_dict().items():
        assert np.array_equal(sync.state_dict()[k], v), k
    assert np.array_equal(sync.weight.grad, ref.weight.grad)
    sync.eval(), ref.eval()
    assert np.array_equal(sync.forward(X[:1]), ref.forward(X[:1]))


def test_sync_batchnorm_checks_its_input_and_builds_from_a_config():
    with pytest.raises(ValueError, match="num_features"):
        nets.SyncBatchNorm(0)
    with pytest.raises(ValueError, match="SyncBatchNorm"):
        nets.SyncBatchNorm(3).forward(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="more than 1 value"):
        nets.SyncBatchNorm(3).forward(np.zeros((1, 3), np.float32))
    assert layers.LAYERS.get("SyncBatchNorm") is nets.SyncBatchNorm


def test_trainer_with_an_explicit_single_process_communicator_trains_as_the_default():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4)).astype(np.float32)
    y = rng.integers(0, 2, 30)
    results = []
    for comm in (None, dist.SingleProcess()):
        net = _net()
        trainer = nets.Trainer(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
                               epochs=2, progress=False, comm=comm, log=lambda *a: None)
        trainer.fit(nets.DataLoader(X, y, 8, shuffle=True, rng=3), (X[:7], y[:7]))
        results.append(net.state_dict())
    assert all(np.array_equal(v, results[1][k]) for k, v in results[0].items())


def test_trainer_accepts_a_distributed_optimizer_and_its_schedule_and_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4)).astype(np.float32)
    y = rng.integers(0, 2, 30)
    results = []
    for wrap in (False, True):
        net = _net()
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        opt = dist.DistributedOptimizer(opt, dist.SingleProcess()) if wrap else opt
        sched = optim.StepLR(opt, step_size=1, gamma=0.5)
        history = nets.fit(net, losses.CrossEntropy(), opt, (X, y), epochs=2, batch_size=8, rng=3, schedule=sched,
                           out=tmp_path / str(wrap), progress=False, log=lambda *a: None)
        assert history[-1]["lr"] == 0.05
        results.append(nets.checkpoint.read(tmp_path / str(wrap) / "last.npz").model_state())
    assert all(np.array_equal(v, results[1][k]) for k, v in results[0].items())


def test_the_benchmark_script_runs_over_one_and_two_ranks():
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "--ranks", "1", "2", "--steps", "2",
                        "--warmup", "1"], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = [line.split() for line in p.stdout.splitlines()[2:]]
    assert [r[0] for r in rows] == ["1", "2"] and all(float(r[3]) > 0 for r in rows)
