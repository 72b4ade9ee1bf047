"""The suite is many tiny problems: one BLAS thread is fastest and never spins
idle on the other cores (issue 16). Set before numpy is imported so that
subprocesses (the CLI tests) inherit it too; the explicit limit covers the case
where numpy was imported first."""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=1, user_api="blas")

import pytest  # noqa: E402

from kubik.layers import kernels  # noqa: E402


@pytest.fixture(params=["numpy", "numba"])
def backend(request):
    """Runs a test once on the numpy path and once on the compiled (numba) path;
    test modules opt in with ``pytestmark = pytest.mark.usefixtures("backend")``.
    numba is in the ``test`` extra, so CI really runs both."""
    previous = kernels.set_backend(request.param)
    yield request.param
    kernels.set_backend(previous)
