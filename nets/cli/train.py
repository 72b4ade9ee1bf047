"""``kubik train CONFIG [--set KEY=VALUE ...] [--out RUN_DIR] [--quiet]`` and
``kubik train --resume RUN_DIR [--set train.epochs=N]``: a run folder with
config.yaml, metrics.csv, last.npz and best.npz; the test split is evaluated
at the end. ``kubik train --resume RUN_DIR --data TRAIN [--val VAL]
[--epochs N]`` continues a run made from Python (nets.fit(out=)): see
resume_python.

Under mpirun / srun every rank runs this command: rank 0 alone chooses the
run folder (the others get its name), writes config.yaml and prints."""
import datetime
from pathlib import Path

from .. import checkpoint
from ..config import batch_size_of, dump
from ..distributed import broadcast_json, world
from ..trainer import Trainer, evaluate
from ..trainer.evaluation import _evaluate
from ..trainer.files import atomic_write_text
from .common import EXIT_INTERRUPTED, load_and_build
from .common import out as _out
from .parser import UsageError
from .resume_python import resume_python
from ..trainer.python_run import is_python_run


def out(text=""):
    """Print on rank 0 only."""
    if world().is_root:
        _out(text)


def _run_dir(cfg, config_path, given):
    """``--out``, or a new <train.out>/<config-stem>-<time>[-2, -3 ...]."""
    if given:
        return Path(given)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(cfg["train"]["out"]) / f"{Path(config_path).stem}-{stamp}"
    path, i = base, 2
    while path.exists():
        path, i = base.with_name(f"{base.name}-{i}"), i + 1
    return path


def _python_run(run_dir):
    """The last.npz (read) of a run made from Python that records its net, or None."""
    last = run_dir / "last.npz"
    if (run_dir / "config.yaml").is_file() or not last.is_file():
        return None
    ckpt = checkpoint.read(last)
    return ckpt if is_python_run(ckpt) else None


def _resume(args):
    """(config, experiment, trainer, run folder) restored from RUN_DIR/last.npz."""
    run_dir = Path(args.resume)
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.is_file():
        if (run_dir / "last.npz").is_file():
            raise UsageError(f"kubik train --resume: '{run_dir}' holds a run made from Python (no config.yaml) "
                             f"that does not record its net; resume it from Python: nets.fit(..., "
                             f"out='{run_dir}', resume=True)")
        raise UsageError(f"kubik train --resume: '{run_dir}' is not a run folder (no config.yaml)")
    for flag in ("data", "val"):
        if getattr(args, flag, None) is not None:
            raise UsageError(f"kubik train --resume: --{flag} is for a run made from Python; '{run_dir}' "
                             f"holds a YAML run, whose config names its data")
    last = run_dir / "last.npz"
    if not last.exists():
        raise UsageError(f"kubik train --resume: '{run_dir}' has no last.npz to resume from (the run stopped "
                         f"before its first checkpoint); start it again with: kubik train {cfg_path} --out {run_dir}")
    ckpt = checkpoint.read(last)
    cfg, source, exp = load_and_build(cfg_path, args.set, args.imports)
    with source.placing():
        trainer = Trainer.from_experiment(exp, run_dir, progress=False if args.quiet else None)
    trainer.restore(ckpt)
    if args.set and world().is_root:
        atomic_write_text(run_dir / "config.yaml", dump(cfg))
    for stale in run_dir.glob(".*.npz.tmp-*") if world().is_root else ():      # left by a killed save
        stale.unlink()
    out(f"resuming {run_dir} at epoch {trainer.state['epoch'] + 1}, step {trainer.state['step']}")
    return cfg, exp, trainer, run_dir


def _start(args):
    """(config, experiment, trainer, run folder) of a new run of CONFIG."""
    cfg, source, exp = load_and_build(args.config, args.set, args.imports)
    comm = world()
    run_dir = Path(broadcast_json(comm, str(_run_dir(cfg, args.config, args.out)) if comm.is_root else None))
    if (run_dir / "last.npz").exists():
        raise UsageError(f"kubik train: '{run_dir}' already holds a run; resume it with "
                         f"--resume {run_dir} or choose another --out")
    with source.placing():     # a training setting out of range: placed at its line or --set
        trainer = Trainer.from_experiment(exp, run_dir, progress=False if args.quiet else None)
    afresh = (run_dir / "config.yaml").exists()     # a run that stopped before its first checkpoint
    if comm.is_root:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / "config.yaml", dump(cfg))
    if afresh:
        out(f"{run_dir} holds no checkpoint (its run stopped before the first one): starting afresh there")
    d = exp.data
    out(f"run folder {run_dir}: {len(d.X_train)} training, {len(d.X_val)} validation, "
        f"{len(d.X_test)} test samples; {exp.net.num_parameters():,} parameters")
    return cfg, exp, trainer, run_dir


def _world_line(batch_size):
    """'world: N process(es) ...; global batch B, b per rank'."""
    comm = world()
    lo, hi = batch_size // comm.size, -(-batch_size // comm.size)
    per = f"{lo}" if lo == hi else f"{lo}-{hi}"
    how = "one process" if comm.size == 1 else f"{comm.size} ranks over {comm.name}"
    out(f"world size {comm.size} ({how}): global batch {batch_size}, {per} per rank")


def cmd_train(args):
    if args.resume and args.config:
        raise UsageError("kubik train: give a CONFIG or --resume RUN_DIR, not both")
    if not args.resume and not args.config:
        raise UsageError("kubik train: missing CONFIG (or --resume RUN_DIR)")
    if not args.resume and (args.data or args.val):
        raise UsageError("kubik train: --data and --val go with --resume RUN_DIR of a run made from Python "
                         "(a config names its data)")
    python_run = _python_run(Path(args.resume)) if args.resume else None
    if python_run is not None:
        if args.set:
            raise UsageError(f"kubik train --resume: --set and --threads change a config; '{args.resume}' holds a "
                             f"run made from Python, which has none (--epochs N raises its epochs)")
        return resume_python(args, Path(args.resume), python_run, out)
    if args.epochs is not None:
        args.set.append(f"train.epochs={args.epochs}")
    cfg, exp, trainer, run_dir = _resume(args) if args.resume else _start(args)
    _world_line(batch_size_of(cfg["train"], len(exp.data.X_train)))
    result = trainer.fit()
    if result.status == "already_done":
        out(result.message)
        return 0
    if result.message:
        out(result.message)
    if result.status == "interrupted":
        out(f"resume with: kubik train --resume {run_dir}")
        return EXIT_INTERRUPTED
    test_loss, test_acc = trainer.dist.evaluate(_evaluate, exp.net, exp.loss, exp.data.X_test, exp.data.y_test,
                                                cfg["train"]["eval_batch_size"], exp.task)
    if test_loss is not None:
        acc = "" if test_acc is None else f", accuracy {100 * test_acc:.2f}%"
        out(f"test split (final weights): loss {test_loss:.4f}{acc} on {len(exp.data.X_test)} samples; "
            f"{trainer.seconds():.1f}s of training")
    monitor = cfg["train"]["checkpoint"]["monitor"]
    best = "" if result.best is None else f" (best {monitor} {result.best:.4g} at epoch {result.best_epoch})"
    out(f"saved {run_dir / 'last.npz'} and {run_dir / 'best.npz'}{best}")
    out(f"run folder {run_dir}; plot it with: kubik plot {run_dir}")
    return 0
