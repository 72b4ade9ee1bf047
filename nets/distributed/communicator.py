"""The communicator interface, and the single-process communicator (the
default, so the training loop has one code path for one process and many).

    comm.rank, comm.size        this process's index and the number of processes
    comm.is_root                rank == 0: the process that writes files and prints
    comm.allreduce(a)           a ← Σ over ranks of a, in place (a contiguous array); returns a
    comm.broadcast(a, root=0)   a ← root's a, in place; returns a
    comm.barrier()              wait until every rank arrives
    comm.abort(code=1)          end every process of the job with ``code``

Every rank must make the same collective calls in the same order; a rank
that fails must ``abort`` so that the others do not wait forever
(nets.distributed.mpi installs an exception hook that does it).
"""
import sys

import numpy as np


class Communicator:
    """The interface (see the module docstring); subclasses implement the methods."""

    rank = 0
    size = 1
    name = "communicator"

    @property
    def is_root(self):
        """``rank == 0``: the process that writes files and prints."""
        return self.rank == 0

    def allreduce(self, array):
        """Sum ``array`` (a C-contiguous numpy array) over the ranks, in place:
        afterwards every rank holds the sum. Returns ``array``."""
        raise TypeError(f"{type(self).__name__} does not implement allreduce")

    def broadcast(self, array, root=0):
        """Overwrite ``array`` (C-contiguous) on every rank with rank ``root``'s
        values, in place. Returns ``array``."""
        raise TypeError(f"{type(self).__name__} does not implement broadcast")

    def barrier(self):
        """Return only when every rank has called ``barrier``."""
        raise TypeError(f"{type(self).__name__} does not implement barrier")

    def abort(self, code=1):
        """End every process of the job with exit status ``code`` (a rank that
        fails calls it so that the others do not wait forever)."""
        raise TypeError(f"{type(self).__name__} does not implement abort")

    def __repr__(self):
        return f"{type(self).__name__}(rank={self.rank}, size={self.size})"


def check_buffer(array, who):
    """``array`` itself if it is a contiguous numpy array, else TypeError naming ``who``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{who}: expected a numpy array, got {type(array).__name__}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{who}: the array must be C-contiguous (it is reduced in place)")
    return array


class SingleProcess(Communicator):
    """One process: rank 0 of 1. The collectives leave their arguments as
    they are (a sum over one rank), so training through it is bit for bit
    the training without it."""

    name = "single process"

    def allreduce(self, array):
        return check_buffer(array, "SingleProcess.allreduce")

    def broadcast(self, array, root=0):
        if root != 0:
            raise ValueError(f"SingleProcess.broadcast: root must be 0 (one process), got {root!r}")
        return check_buffer(array, "SingleProcess.broadcast")

    def barrier(self):
        pass

    def abort(self, code=1):
        sys.stdout.flush()
        sys.stderr.flush()
        raise SystemExit(code)
