"""Optuna, the engine of ``kubik sweep`` (the ``[sweep]`` extra), imported on first
use with its own logging turned down to warnings (the sweep prints one line per
trial); and ``SweepError``, a sweep's one-line mistake (exit 2)."""
import logging

HINT = 'kubik sweep needs Optuna: pip install "kubik[sweep]" (or pip install -e ".[sweep]" in a checkout)'


class SweepError(Exception):
    """A sweep that cannot run as asked (a storage that cannot be opened, a study of
    another direction, a folder of another sweep): one line, exit code 2."""


def optuna():
    """The optuna module, quiet; SweepError with the install hint when it is missing."""
    try:
        import optuna as module
    except ImportError:
        raise SweepError(HINT) from None
    module.logging.set_verbosity(logging.WARNING)
    return module
