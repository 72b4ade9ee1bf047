"""Run by tests/test_distributed_mpi.py under ``mpirun -n 3``: the communicator's
collectives, the broadcasts, DistributedOptimizer (packed and in place) and
SyncBatchNorm's forward and backward against BatchNorm on the whole batch.
Each rank prints 'rank R ok' when every check passed (an assertion error
aborts the job through the exception hook)."""
import numpy as np

from kubik import layers, losses, nets, optim
from kubik.nets import distributed as dist

comm = dist.world()
r, n = comm.rank, comm.size
assert isinstance(comm, dist.MPICommunicator) and n == 3, (type(comm), n)

# allreduce in place (sum), broadcast, JSON
a = np.full(4, r + 1.0, np.float32)
assert comm.allreduce(a) is a and np.array_equal(a, np.full(4, 6.0, np.float32))
b = np.arange(3.0) * (r + 1)
comm.broadcast(b, root=1)
assert np.array_equal(b, np.arange(3.0) * 2)
assert dist.broadcast_json(comm, {"run": f"runs/x-{r}", "big": 2 ** 100 + r}) == {"run": "runs/x-0", "big": 2 ** 100}
assert dist.allgather_json(comm, "é" * r) == ["", "é", "éé"]
comm.barrier()

# broadcast_parameters / broadcast_optimizer_state: rank 0's weights and Adam state everywhere
layers.seed(r)                           # different initial weights on every rank
net = nets.Sequential(layers.Linear(4, 5), layers.BatchNorm1d(5), layers.Linear(5, 2))
opt = optim.Adam(net.parameters(), lr=0.01)
X = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
if r == 0:                               # only rank 0 has optimizer state
    loss = losses.CrossEntropy()
    loss.forward(net.forward(X), np.arange(6) % 2)
    net.backward(loss.backward())
    opt.step()
dist.broadcast_parameters(net, comm)
dist.broadcast_optimizer_state(opt, comm)
mine = np.concatenate([v.reshape(-1).astype(np.float64) for v in net.state_dict().values()]
                      + [np.asarray(v, np.float64).reshape(-1) for st in opt.state_dict()["state"].values()
                         for v in st.values()])
assert opt.step_count == 1
every = np.zeros((n, mine.size))
every[r] = mine
comm.allreduce(every)
assert all(np.array_equal(every[0], every[i]) for i in range(n))

# DistributedOptimizer: the sum over ranks, one buffer, in place after net.flatten_parameters()
for flat, make in ((True, lambda ps: optim.SGD(ps, lr=1.0)), (False, lambda ps: optim.SGD(ps, lr=1.0)),
                   (True, lambda ps: optim.Adam(ps, lr=1.0)), (False, lambda ps: optim.Adam(ps, lr=1.0))):
    lin = layers.Linear(3, 2, rng=0)
    if flat:
        lin.flatten_parameters()
    d = dist.DistributedOptimizer(make(lin.parameters()), comm)
    lin.weight.grad[...] = r + 1
    lin.bias.grad[...] = 10 * (r + 1)
    d.synchronize()
    assert np.array_equal(lin.weight.grad, np.full((3, 2), 6.0)) and np.array_equal(lin.bias.grad, np.full(2, 60.0))
    assert d.reducer.in_place is flat

# SyncBatchNorm over the ranks' shards = BatchNorm on the whole batch (forward, dX, dγ, dβ summed, stats)
rng = np.random.default_rng(7)
Xall = rng.standard_normal((10, 3, 2, 2))
Gall = rng.standard_normal((10, 3, 2, 2))
ref = layers.BatchNorm2d(3, momentum=0.3, dtype=np.float64)
sync = nets.SyncBatchNorm(3, momentum=0.3, dtype=np.float64)
ref.weight.data[...] = sync.weight.data[...] = [0.5, 1.0, 2.0]
lo, hi = dist.shard(10, r, n)                # 4, 3, 3
Yref, Ysync = ref.forward(Xall), sync.forward(Xall[lo:hi])
np.testing.assert_allclose(Ysync, Yref[lo:hi], rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(sync.backward(Gall[lo:hi]), ref.backward(Gall)[lo:hi], rtol=1e-10, atol=1e-12)
grads = np.concatenate([sync.weight.grad, sync.bias.grad])
comm.allreduce(grads)
np.testing.assert_allclose(grads, np.concatenate([ref.weight.grad, ref.bias.grad]), rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(sync.running_var, ref.running_var, rtol=1e-12)
np.testing.assert_allclose(sync.running_mean, ref.running_mean, rtol=1e-12, atol=1e-15)
sync.eval(), ref.eval()
np.testing.assert_allclose(sync.forward(Xall[:1]), ref.forward(Xall[:1]), rtol=1e-12, atol=1e-12)
print(f"rank {r} ok", flush=True)
