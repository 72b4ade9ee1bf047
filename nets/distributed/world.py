"""The communicator of this process: MPI when a launcher started it, else a
single process. Made once, on first use (mpi4py is imported then, not when
kubik is imported)."""
from .communicator import SingleProcess
from .mpi import MPICommunicator, launcher

_world = None


def world():
    """The process's communicator (cached): MPICommunicator under mpirun / srun, else SingleProcess."""
    global _world
    if _world is None:
        _world = MPICommunicator() if launcher() else SingleProcess()
    return _world


def set_world(comm):
    """Use ``comm`` as this process's communicator (None: detect again on next use); returns the old one."""
    global _world
    old, _world = _world, comm
    return old
