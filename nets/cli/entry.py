"""``main``: parse the command line, run the command, and turn every known
failure into one line on stderr and its exit code."""
import errno
import sys

from .. import checkpoint
from ..config import ConfigError
from ..trainer import Diverged
from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from .evaluate import cmd_eval
from .inspection import cmd_gradcheck, cmd_layers, cmd_summary
from .parser import UsageError, parser
from .train import cmd_train

COMMANDS = {"train": cmd_train, "eval": cmd_eval, "summary": cmd_summary, "layers": cmd_layers,
            "gradcheck": cmd_gradcheck}


def main(argv=None):
    """Entry point of the ``kubik`` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser().parse_args(argv)
        if not args.command:
            raise UsageError("kubik: missing command: train, eval, summary, layers or gradcheck (see kubik --help)")
        return COMMANDS[args.command](args)
    except (UsageError, ConfigError, checkpoint.CheckpointError) as e:
        print(f"error: {e}".replace("\n", " "), file=sys.stderr, flush=True)
        return EXIT_USAGE
    except Diverged as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("error: interrupted (no checkpoint written for the step in progress)", file=sys.stderr, flush=True)
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
