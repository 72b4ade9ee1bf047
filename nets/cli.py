"""The ``kubik`` command (also ``python -m nets``).

    kubik train CONFIG [--set KEY=VALUE ...] [--out RUN_DIR] [--quiet]
    kubik train --resume RUN_DIR [--set train.epochs=N]
    kubik eval CHECKPOINT [--split test|val|train]
    kubik summary CONFIG [--set KEY=VALUE ...]
    kubik layers
    kubik gradcheck [NAME ...]

Exit codes: 0 done, 1 training diverged (NaN/inf loss) or a gradient check
failed, 2 a mistake in the command line, the config, the data or a
checkpoint (one line on stderr, no traceback), 130 interrupted by Ctrl-C
(after saving a checkpoint).
"""
import argparse
import datetime
import sys
from pathlib import Path

from . import checkpoint
from .config import ConfigError, Source

EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


class UsageError(Exception):
    """A command-line mistake (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):           # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser():
    p = _Parser(prog="kubik", description="Train and inspect kubik networks described by YAML configs.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    t = sub.add_parser("train", help="train from a config, or resume a run")
    t.add_argument("config", nargs="?", help="the YAML config")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config entry, e.g. --set optimizer.lr=0.05 (repeatable)")
    t.add_argument("--out", metavar="RUN_DIR", help="the run folder (default: <train.out>/<config-stem>-<time>)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last.npz")
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    e = sub.add_parser("eval", help="loss and accuracy of a checkpoint on the test split")
    e.add_argument("checkpoint")
    e.add_argument("--split", choices=("test", "val", "train"), default="test")
    s = sub.add_parser("summary", help="the layer table of a config: output shapes and parameter counts")
    s.add_argument("config")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    sub.add_parser("layers", help="every registered layer, loss, optimizer, schedule and data set")
    g = sub.add_parser("gradcheck", help="gradient check of every registered layer (and loss)")
    g.add_argument("names", nargs="*", help="only these layers/losses")
    return p


def _out(text=""):
    print(text, flush=True)


def _load(config_path, sets):
    from .config import load
    return load(config_path, sets)


def _build(cfg, source):
    from .build import build
    try:
        return build(cfg)
    except ConfigError as e:
        raise ConfigError(source.format(e)) from None


def _run_dir(cfg, config_path, out):
    if out:
        return Path(out)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(cfg["train"]["out"]) / f"{Path(config_path).stem}-{stamp}"
    path, i = base, 2
    while path.exists():
        path, i = base.with_name(f"{base.name}-{i}"), i + 1
    return path


def cmd_train(args):
    from . import config as C
    from .trainer import Trainer
    if args.resume and args.config:
        raise UsageError("kubik train: give a CONFIG or --resume RUN_DIR, not both")
    if not args.resume and not args.config:
        raise UsageError("kubik train: missing CONFIG (or --resume RUN_DIR)")
    if args.resume:
        run_dir = Path(args.resume)
        cfg_path = run_dir / "config.yaml"
        if not cfg_path.is_file():
            raise UsageError(f"kubik train --resume: '{run_dir}' is not a run folder (no config.yaml)")
        last = run_dir / "last.npz"
        if not last.exists():
            raise UsageError(f"kubik train --resume: '{run_dir}' has no last.npz to resume from")
        ckpt = checkpoint.read(last)
        cfg, source = _load(cfg_path, args.set)
        exp = _build(cfg, source)
        trainer = Trainer(exp, run_dir, progress=False if args.quiet else None)
        trainer.restore(ckpt)
        if args.set:
            (run_dir / "config.yaml").write_text(C.dump(cfg))
        for stale in run_dir.glob(".*.npz.tmp-*"):      # left by a killed save
            stale.unlink()
        _out(f"resuming {run_dir} at epoch {trainer.state['epoch'] + 1}, step {trainer.state['step']}")
    else:
        cfg, source = _load(args.config, args.set)
        exp = _build(cfg, source)
        run_dir = _run_dir(cfg, args.config, args.out)
        if (run_dir / "last.npz").exists() or (run_dir / "config.yaml").exists():
            raise UsageError(f"kubik train: '{run_dir}' already holds a run; resume it with "
                             f"--resume {run_dir} or choose another --out")
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(C.dump(cfg))
        trainer = Trainer(exp, run_dir, progress=False if args.quiet else None)
        d = exp.data
        _out(f"run folder {run_dir}: {len(d.X_train)} training, {len(d.X_val)} validation, "
             f"{len(d.X_test)} test samples; {exp.net.num_parameters():,} parameters")
    result = trainer.fit()
    if result.status == "already_done":
        _out(result.message)
        return 0
    if result.message:
        _out(result.message)
    if result.status == "interrupted":
        _out(f"resume with: kubik train --resume {run_dir}")
        return EXIT_INTERRUPTED
    from .trainer import evaluate
    test_loss, test_acc = evaluate(exp, exp.data.X_test, exp.data.y_test, cfg["train"]["eval_batch_size"])
    if test_loss is not None:
        acc = "" if test_acc is None else f", accuracy {100 * test_acc:.2f}%"
        _out(f"test split (final weights): loss {test_loss:.4f}{acc} on {len(exp.data.X_test)} samples; "
             f"{trainer.seconds():.1f}s of training")
    best = "" if result.best is None else f" (best {cfg['train']['checkpoint']['monitor']} {result.best:.4g} at epoch {result.best_epoch})"
    _out(f"saved {run_dir / 'last.npz'} and {run_dir / 'best.npz'}{best}")
    return 0


def cmd_eval(args):
    from . import config as C
    from .trainer import evaluate
    ckpt = checkpoint.read(args.checkpoint)
    if not isinstance(ckpt.config, dict):
        raise checkpoint.CheckpointError(f"checkpoint '{ckpt.path}' holds no config to rebuild the model from")
    source = Source(f"{ckpt.path} (its config)")
    try:
        cfg = C.normalize(ckpt.config)
    except ConfigError as e:
        raise ConfigError(source.format(e)) from None
    exp = _build(cfg, source)
    checkpoint.restore(ckpt, exp.net, weights_only=True)
    X, y = {"test": (exp.data.X_test, exp.data.y_test), "val": (exp.data.X_val, exp.data.y_val),
            "train": (exp.data.X_train, exp.data.y_train)}[args.split]
    if not len(X):
        raise UsageError(f"kubik eval: the {args.split} split is empty")
    loss, acc = evaluate(exp, X, y, cfg["train"]["eval_batch_size"])
    tr = ckpt.trainer
    acc_text = "" if acc is None else f"  accuracy {100 * acc:.2f}%"
    _out(f"{ckpt.path} (epoch {tr.get('epoch')}, step {tr.get('step')}): {args.split} split, {len(X)} samples: "
         f"loss {loss:.4f}{acc_text}")
    return 0


def cmd_summary(args):
    from .build import summary_table
    cfg, source = _load(args.config, args.set)
    exp = _build(cfg, source)
    _out(summary_table(exp.rows, exp.data.input_shape))
    return 0


def cmd_layers(args):
    import layers
    import losses
    import optim
    from .datasets import DATASETS
    from .gradcheck_all import describe_signature
    for title, reg in (("layers", layers.LAYERS), ("losses", losses.LOSSES), ("optimizers", optim.OPTIMIZERS),
                       ("schedules", optim.SCHEDULES), ("data sets", DATASETS)):
        _out(f"{title} ({len(reg)}):")
        for name, obj in reg.items():
            _out(f"  {name}{describe_signature(obj)}")
    return 0


def cmd_gradcheck(args):
    from .gradcheck_all import run_all
    failures = run_all(args.names, _out)
    return EXIT_FAILED if failures else 0


COMMANDS = {"train": cmd_train, "eval": cmd_eval, "summary": cmd_summary, "layers": cmd_layers,
            "gradcheck": cmd_gradcheck}


def main(argv=None):
    """Entry point of the ``kubik`` console script; returns the exit code."""
    from .trainer import Diverged
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser().parse_args(argv)
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


def run():
    sys.exit(main())
