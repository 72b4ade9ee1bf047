"""``main``: parse the command line, run the command, and turn every known
failure into one line on stderr and its exit code."""
import errno
import sys

from .. import checkpoint
from ..config import ConfigError, ConfigErrors
from ..distributed import DistributedError, world
from ..trainer import Diverged
from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from .evaluate import cmd_eval
from .inspection import cmd_gradcheck, cmd_layers, cmd_summary
from .plot import cmd_plot
from .parser import UsageError, parser
from .train import cmd_train
from .predict import cmd_predict
from .export import cmd_export
from .sample import cmd_sample
from .sweep import cmd_sweep
from ..sweep.backend import SweepError

COMMANDS = {"train": cmd_train, "eval": cmd_eval, "summary": cmd_summary, "layers": cmd_layers,
            "gradcheck": cmd_gradcheck, "predict": cmd_predict, "export": cmd_export, "plot": cmd_plot,
            "sample": cmd_sample, "sweep": cmd_sweep}


def main(argv=None):
    """Entry point of the ``kubik`` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    code = _main(argv)
    if code not in (0, EXIT_FAILED, EXIT_INTERRUPTED) and _ranks() > 1:
        world().abort(code)     # an error one rank may meet alone: end the whole job, not only this rank
    return code


def _ranks():
    try:
        return world().size
    except DistributedError:
        return 1


def _main(argv):
    try:
        args = parser().parse_args(argv)
        if not args.command:
            raise UsageError(f"kubik: missing command: {', '.join(COMMANDS)} (see kubik --help)")
        return COMMANDS[args.command](args)
    except ConfigErrors as e:           # every mistake of a config: one line each
        for line in e.lines():
            print(f"error: {line}".replace("\n", " "), file=sys.stderr, flush=True)
        return EXIT_USAGE
    except (UsageError, ConfigError, checkpoint.CheckpointError, DistributedError, SweepError) as e:
        print(f"error: {e}".replace("\n", " "), file=sys.stderr, flush=True)
        return EXIT_USAGE
    except Diverged as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("error: interrupted (no checkpoint written for the step in progress)", file=sys.stderr, flush=True)
        if _ranks() > 1:        # a second Ctrl-C: the other ranks may wait in a collective
            world().abort(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except OSError as e:     # a file where a folder must be, a read-only folder, a full disk
        print(f"error: {os_error_text(e)}", file=sys.stderr, flush=True)
        return EXIT_USAGE


def os_error_text(e):
    """One line for an OSError: what could not be written and why."""
    name = f"'{e.filename}'" if e.filename is not None else "a file"
    if isinstance(e, (FileExistsError, NotADirectoryError)):
        return f"cannot create the folder {name}: it, or a folder above it, is a file"
    if isinstance(e, PermissionError) or e.errno == errno.EROFS:
        return f"permission denied for {name} (a read-only folder?)"
    if e.errno == errno.ENOSPC:
        return f"cannot write {name}: no space left on the device"
    return f"{name}: {e.strerror or e}"


def run():
    sys.exit(main())
