"""The commands that look without training: ``kubik summary CONFIG|RUN|CKPT``
(the layer table; of a run folder or checkpoint: of the net it rebuilds), ``kubik layers`` (everything registered) and ``kubik gradcheck
[NAME ...]`` (finite-difference check of every layer and loss)."""
import io
from pathlib import Path

from ... import layers
from ... import losses
from ... import optim

from ..builders import summary, summary_table
from ..config import ConfigError
from ..augment import TRANSFORMS
from ..datasets import DATASETS
from ..imports import import_modules
from ..gradcheck_all import describe_signature, run_all
from .common import EXIT_FAILED, load_and_build, out
from .parser import UsageError


def cmd_summary(args):
    path = Path(args.config)
    if path.is_dir() or path.suffix == ".npz":      # a run folder or checkpoint, YAML or Python run
        if args.set:
            raise UsageError("kubik summary: --set applies to a config file, not to a run folder or checkpoint")
        from ..inference.model import load
        model = load(path, which="last" if path.is_dir() and not (path / "best.npz").exists() else "best",
                     imports=args.imports)
        out(summary(model.net, model.input_shape, file=io.StringIO()))
        return 0
    _, _, exp = load_and_build(args.config, args.set, args.imports)
    out(summary_table(exp.rows, exp.data.input_shape, getattr(exp.net, "inputs", None)))
    return 0


def _load_plugins():
    """Import the installed kubik.plugins, so that listings and checks include them."""
    try:
        layers.load_plugins()
    except ValueError as e:       # a broken plugin: named, one line
        raise ConfigError(str(e)) from None


def cmd_layers(args):
    _load_plugins()
    for title, reg in (("layers", layers.LAYERS), ("losses", losses.LOSSES), ("optimizers", optim.OPTIMIZERS),
                       ("schedules", optim.SCHEDULES), ("data sets", DATASETS), ("data transforms", TRANSFORMS)):
        out(f"{title} ({len(reg)}):")
        for name, obj in reg.items():
            out(f"  {name}{describe_signature(obj)}")
    return 0


def cmd_gradcheck(args):
    import_modules(args.imports)
    _load_plugins()
    failures = run_all(args.names, out)
    return EXIT_FAILED if failures else 0
