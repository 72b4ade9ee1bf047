"""Gradient-check cases of nets.distributed's layer (SyncBatchNorm: in one
process it is BatchNorm; across ranks see tests/test_distributed_mpi.py)."""
import numpy as np

from kubik.nets import SyncBatchNorm


def _sync_bn(shape, training=True, **kw):
    bn = SyncBatchNorm(shape[1], **kw)
    if bn.affine:
        bn.weight.data[...] = np.linspace(0.5, 1.5, shape[1])
        bn.bias.data[...] = np.linspace(-1, 1, shape[1])
    bn.train(training)
    if not training:
        bn.running_mean[...] = np.linspace(-0.5, 0.5, shape[1])
        bn.running_var[...] = np.linspace(0.5, 2.0, shape[1])
    return bn, np.random.default_rng(3).standard_normal(shape)


LAYER_CASES = {
    "SyncBatchNorm": [
        ("train_2d", lambda: _sync_bn((5, 3))),
        ("train_4d", lambda: _sync_bn((2, 2, 3, 3))),
        ("train_no_affine", lambda: _sync_bn((4, 3), affine=False)),
        ("eval_batch_of_1", lambda: _sync_bn((1, 3), training=False)),
    ],
}
