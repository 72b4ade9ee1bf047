"""The MPI communicator (mpi4py), and how a launcher is recognised.

kubik imports mpi4py only when the process was started by a launcher, told
by its environment: ``PMI_RANK``/``PMI_SIZE`` (MPICH's hydra ``mpirun``/
``mpiexec``, Intel MPI), ``OMPI_COMM_WORLD_SIZE`` (Open MPI) or
``SLURM_PROCID`` with more than one task (``srun``). Without mpi4py the
error names the extra to install.

Ranks wait for each other inside every collective, so an exception on one
rank would leave the others waiting forever: ``MPICommunicator`` installs an
exception hook that prints the traceback and calls ``MPI_Abort``, which ends
every process of the job within seconds (what ``python -m mpi4py`` does).
"""
import os
import sys
import time
import traceback

from .communicator import Communicator, check_buffer

INSTALL_HINT = 'pip install -e ".[mpi]" (or: pip install mpi4py mpich)'


class DistributedError(ValueError):
    """Distributed training cannot start (mpi4py missing, a setting that does not fit the world size)."""


def _int(env, key):
    try:
        return int(env.get(key, ""))
    except ValueError:
        return 0


def launcher(env=None):
    """The name of the MPI launcher that started this process, or None."""
    env = os.environ if env is None else env
    if "PMI_RANK" in env or "PMI_SIZE" in env:
        return "mpirun (MPICH / hydra)"
    if "OMPI_COMM_WORLD_SIZE" in env:
        return "mpirun (Open MPI)"
    if "SLURM_PROCID" in env and _int(env, "SLURM_STEP_NUM_TASKS" if "SLURM_STEP_NUM_TASKS" in env
                                      else "SLURM_NTASKS") > 1:
        return "srun (Slurm)"
    return None


class MPICommunicator(Communicator):
    """COMM_WORLD of mpi4py (or ``mpi_comm``); float arrays are reduced in place."""

    name = "MPI"

    def __init__(self, mpi_comm=None, install_hook=True):
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise DistributedError(f"started by {launcher() or 'an MPI launcher'}, but mpi4py cannot be "
                                   f"imported ({e}); install it with: {INSTALL_HINT}") from None
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD if mpi_comm is None else mpi_comm
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        if install_hook:
            install_abort_hook(self)

    def allreduce(self, array):
        check_buffer(array, "MPICommunicator.allreduce")
        if self.size > 1 and array.size:
            self.comm.Allreduce(self._MPI.IN_PLACE, array, op=self._MPI.SUM)
        return array

    def broadcast(self, array, root=0):
        check_buffer(array, "MPICommunicator.broadcast")
        if self.size > 1 and array.size:
            self.comm.Bcast(array, root=root)
        return array

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code=1):
        sys.stdout.flush()
        sys.stderr.flush()
        self.comm.Abort(int(code))


def install_abort_hook(comm):
    """An exception hook that prints the traceback and aborts ``comm``'s job
    (only when it has more than one rank); returns the previous hook."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        if comm.size > 1 and not issubclass(kind, SystemExit):
            traceback.print_exception(kind, value, tb)
            print(f"rank {comm.rank} of {comm.size}: aborting the job", file=sys.stderr, flush=True)
            time.sleep(0.3)     # let the launcher forward the message before the job is torn down
            comm.abort(1)
            os._exit(1)         # in case the abort returned before ending this process
        previous(kind, value, tb)

    sys.excepthook = hook
    return previous
