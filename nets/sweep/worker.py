"""One worker process of ``kubik sweep --jobs J`` (started by nets.sweep.workers.spawn):

    python -m kubik.nets.sweep.worker SWEEP_DIR INDEX TRIALS SAMPLER_SEED PARENT_PID THREADS

It reads the sweep from its folder (the storage URL from the environment, so a
password never shows in the process list), opens the study with its own
sampler seed and trains trials until the study holds TRIALS. Its BLAS threads
are limited by the environment its parent gave it; THREADS caps an integer
``train.threads`` too. It stops when its parent is gone. Exit codes as kubik's:
0, 1 (gave up after failures), 2 (a mistake), 130 (interrupted).
"""
import os
import sys

from .backend import SweepError
from .folder import read
from .storage import open_storage
from .study import open_study
from .trial import Context
from .workers import STORAGE_ENV, work


def main(argv=None):
    """Run the worker; returns its exit code."""
    out, index, trials, seed, parent, threads = (sys.argv[1:] if argv is None else argv)
    who = f" [worker {index}]"
    try:
        base, s = read(out, os.environ.get(STORAGE_ENV), int(trials))
        store = open_storage(s.storage)
        study = open_study(store, s, int(seed))
        ctx = Context(base, s, int(base.config({})[0]["seed"]), int(threads), int(parent),
                      log=lambda text: print(text, flush=True))
        tally = work(ctx, store, study, int(trials), who)
    except KeyboardInterrupt:
        return 130
    except SweepError as e:
        print(f"error{who}: {e}", file=sys.stderr, flush=True)
        return 2
    return 130 if tally["interrupted"] else 1 if tally["gave_up"] else 0


if __name__ == "__main__":
    sys.exit(main())
