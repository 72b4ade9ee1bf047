"""Data-parallel training over MPI (mpi4py), imported only under a launcher.

    comm = nets.distributed.world()     # MPICommunicator under mpirun / srun, else SingleProcess
    comm.rank, comm.size, comm.allreduce(a), comm.broadcast(a), comm.barrier(), comm.abort()
    opt = DistributedOptimizer(optim.SGD(net.parameters(), lr=0.1))   # gradients summed over ranks
    broadcast_parameters(net, comm); broadcast_optimizer_state(opt, comm)

The Trainer (so ``nets.fit`` and ``kubik train``) uses ``world()`` itself:
``mpirun -n 4 kubik train cfg.yaml`` trains data-parallel with
``train.batch_size`` as the global batch (see data_parallel for the exact
semantics).

    communicator   the interface; SingleProcess          mpi        MPICommunicator, launcher detection, abort hook
    world          the process's communicator             optimizer  GradientReducer, DistributedOptimizer
    broadcast      parameters, optimizer state, JSON      data_parallel  what the training loop asks of the ranks
    syncbatchnorm  SyncBatchNorm
"""
from .broadcast import allgather_json, broadcast_json, broadcast_optimizer_state, broadcast_parameters
from .communicator import Communicator, SingleProcess
from .data_parallel import DataParallel, shard
from .mpi import INSTALL_HINT, DistributedError, MPICommunicator, launcher
from .optimizer import DistributedOptimizer, GradientReducer
from .syncbatchnorm import SyncBatchNorm
from .world import set_world, world
