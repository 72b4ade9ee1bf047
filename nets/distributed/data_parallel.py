"""What the training loop asks of the ranks, in one place (``Trainer.dist``).

Semantics, for N ranks and a global batch of B samples (``train.batch_size``):

- every rank draws the same seeded permutation and takes a contiguous share of
  each global batch: rank r gets ``batch[lo_r:hi_r]`` (``shard``), the first
  ``B mod N`` ranks one sample more;
- each rank weights its loss gradient by its share of the global batch (of the
  accumulated group), so the gradients summed over the ranks are those of the
  global batch, uneven shards included (the loop's ``group_share``);
- the loss sum, the sample count, the NaN flag and the stop flag (Ctrl-C, a
  callback's request) of a micro-batch travel in one small allreduce
  (``sync_batch``), so every rank takes the same decision at the same step;
- validation is sharded the same way and its sums reduced (``evaluate``);
- BatchNorm running statistics are averaged over the ranks before validation
  and before a checkpoint (``average_buffers``; SyncBatchNorm needs none);
- each rank draws dropout masks from its own stream, derived from the seed and
  the rank (``split_streams``); a checkpoint holds every rank's streams.

With one rank every method returns its input as it is, so a single process
trains bit for bit as without this class.
"""
import math

import numpy as np

from .broadcast import allgather_json, broadcast_json, broadcast_optimizer_state, broadcast_parameters
from .communicator import SingleProcess
from .mpi import DistributedError
from .optimizer import DistributedOptimizer, GradientReducer


def shard(n, rank, size):
    """(lo, hi): rank's contiguous share of n samples."""
    q, r = divmod(n, size)
    lo = rank * q + min(rank, r)
    return lo, lo + q + (rank < r)


def _walk(layer):
    yield layer
    for _, child in getattr(layer, "_children", ()):
        yield from _walk(child)


def _restore_state(gen, state):
    gen.bit_generator.state = state


class DataParallel:
    """The loop's view of ``comm`` (default: one process)."""

    def __init__(self, comm=None):
        self.comm = comm if comm is not None else SingleProcess()
        self.size, self.rank, self.is_root = self.comm.size, self.comm.rank, self.comm.is_root
        self._reducers = {}

    # ---- batches ---------------------------------------------------------------------------
    def check_batches(self, n, batch_size, drop_last, who="Trainer.fit"):
        """ValueError unless every global batch gives every rank at least one sample."""
        if self.size == 1:
            return
        last = n % batch_size
        if batch_size < self.size or (last and not drop_last and last < self.size):
            short = batch_size if batch_size < self.size else last
            raise DistributedError(
                f"{who}: a global batch of {short} samples cannot give each of the {self.size} ranks a sample "
                f"(batch_size {batch_size}, {n} samples); raise batch_size, use drop_last, or run fewer ranks")

    def local(self, xb, yb):
        """This rank's share of a global batch."""
        if self.size == 1:
            return xb, yb
        lo, hi = shard(len(yb), self.rank, self.size)
        return xb[lo:hi], yb[lo:hi]

    def sync_batch(self, value, count, stop):
        """(loss, loss sum, samples, not finite, stop) of a micro-batch over all ranks, from this
        rank's mean loss ``value`` over ``count`` samples and its stop flag; one allreduce."""
        if self.size == 1:
            return value, value * count, count, not math.isfinite(value), stop
        v = np.array([value * count, count, 0.0 if math.isfinite(value) else 1.0, 1.0 if stop else 0.0])
        self.comm.allreduce(v)
        total, n = float(v[0]), int(v[1])
        return total / n, total, n, bool(v[2]) or not math.isfinite(total), bool(v[3])

    def reduce_gradients(self, optimizer):
        """Sum the gradients over the ranks (before clipping), in one buffer per dtype."""
        if isinstance(optimizer, DistributedOptimizer):
            optimizer.synchronize()
        elif self.size > 1:
            key = id(optimizer)
            if key not in self._reducers:
                self._reducers[key] = GradientReducer(optimizer.parameters(), self.comm)
            self._reducers[key].reduce()

    # ---- evaluation --------------------------------------------------------------------------
    def evaluate(self, evaluate, net, loss, X, y, batch_size, task):
        """``evaluate(net, loss, X, y, batch_size, task)`` -> (mean loss, accuracy), each rank on
        its contiguous share of (X, y), the sums reduced over the ranks."""
        if self.size == 1:
            return evaluate(net, loss, X, y, batch_size, task)
        lo, hi = shard(len(X), self.rank, self.size)
        value, acc = evaluate(net, loss, X[lo:hi], y[lo:hi], batch_size, task)
        n = hi - lo
        v = np.array([value * n if n else 0.0, round(acc * n) if acc is not None else 0.0, n,
                      1.0 if n and acc is None else 0.0])
        self.comm.allreduce(v)
        total = int(v[2])
        if not total:
            return None, None
        return float(v[0]) / total, (None if v[3] else float(v[1]) / total)

    # ---- state shared by the ranks -------------------------------------------------------------
    @staticmethod
    def _buffers(net):
        """The float buffers (BatchNorm running statistics) that may differ between ranks;
        layers marked ``synchronized_stats`` (SyncBatchNorm) already agree."""
        arrays = [getattr(layer, name) for layer in _walk(net) if not getattr(layer, "synchronized_stats", False)
                  for name in getattr(layer, "_buffer_names", ())]
        return [a for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size]

    @staticmethod
    def set_buffers(net, flat):
        """Set those buffers from one flat (float64) vector."""
        pos = 0
        for a in DataParallel._buffers(net):
            a[...] = flat[pos:pos + a.size].reshape(a.shape)
            pos += a.size

    def average_buffers(self, net):
        """Average those buffers over the ranks, in place, in one allreduce."""
        if self.size == 1 or not self._buffers(net):
            return
        buf = np.concatenate([a.reshape(-1).astype(np.float64) for a in self._buffers(net)])
        self.comm.allreduce(buf)
        buf /= self.size
        self.set_buffers(net, buf)

    def gather_buffers(self, net):
        """Every rank's buffers as a (ranks, values) float64 array (exact for float32), on every
        rank; None with one rank or no such buffer. A checkpoint holds them so that resume
        gives each rank its own back, and writes their mean as the model's."""
        arrays = self._buffers(net)
        if self.size == 1 or not arrays:
            return None
        mine = np.concatenate([a.reshape(-1).astype(np.float64) for a in arrays])
        out = np.zeros((self.size, mine.size))
        out[self.rank] = mine
        return self.comm.allreduce(out)

    def start(self, net, optimizer):
        """A fresh run: every rank takes rank 0's weights, buffers and optimizer state."""
        if self.size == 1:
            return
        broadcast_parameters(net, self.comm)
        broadcast_optimizer_state(optimizer, self.comm)

    def share_data_order(self, loader):
        """Every rank takes rank 0's data order, position and generator (the same permutation)."""
        if self.size > 1:
            st = loader.state_dict()
            st["order"] = None if st["order"] is None else st["order"].tolist()
            st = broadcast_json(self.comm, st)
            loader.load_state_dict(dict(st, order=None if st["order"] is None else np.asarray(st["order"])))

    def any(self, flag):
        """True on every rank if ``flag`` is true on any (one allreduce)."""
        if self.size == 1:
            return flag
        return bool(self.comm.allreduce(np.array([1.0 if flag else 0.0]))[0])

    def split_streams(self, generators):
        """Give each rank its own stream in every generator of ``generators`` (the package
        generator, layers' own): seeded by (a draw from it, same on every rank, the rank)."""
        if self.size == 1:
            return
        for g in generators.values():
            root_draw = broadcast_json(self.comm, int(g.integers(2 ** 63)))
            g.bit_generator.state = np.random.default_rng([root_draw, self.rank]).bit_generator.state

    def rank_generators(self, generators):
        """For a checkpoint: the other ranks' generator states as Generators named
        'rank<r>/<name>' (on rank 0; {} elsewhere). Collective: every rank calls it."""
        if self.size == 1:
            return {}
        states = allgather_json(self.comm, {k: g.bit_generator.state for k, g in generators.items()})
        if not self.is_root:
            return {}
        out = {}
        for r, st in enumerate(states[1:], start=1):
            for k, s in st.items():
                g = np.random.Generator(getattr(np.random, s["bit_generator"])())
                g.bit_generator.state = s
                out[f"rank{r}/{k}"] = g
        return out

    def restore_rank_generators(self, saved, generators, where):
        """After a checkpoint was restored (with rank 0's streams): this rank's own."""
        if self.rank == 0:
            return
        for k, g in generators.items():
            key = f"rank{self.rank}/{k}"
            if key not in saved:
                raise DistributedError(f"{where} lacks the random generator state {key}")
            g.bit_generator.state = saved[key]

    def check_world_size(self, saved, where):
        """CheckpointError text unless the checkpoint was written by as many ranks as run now."""
        saved = int(saved)
        if saved != self.size:
            how = "one process (no launcher)" if saved == 1 else f"mpirun -n {saved}"
            return (f"{where} was written by {saved} rank(s) and this run has {self.size}; resume it with "
                    f"{how}: the data shards, the random streams and the order of the sums depend on the "
                    f"number of ranks, so the run would not continue as it went")
        return None
