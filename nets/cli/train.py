"""``kubik train CONFIG [--set KEY=VALUE ...] [--out RUN_DIR] [--quiet]`` and
``kubik train --resume RUN_DIR [--set train.epochs=N]``: a run folder with
config.yaml, metrics.csv, last.npz and best.npz; the test split is evaluated
at the end. ``kubik train --resume RUN_DIR --data TRAIN [--val VAL]
[--epochs N]`` continues a run made from Python (nets.fit(out=)): see
resume_python.

Under mpirun / srun every rank runs this command: rank 0 alone chooses the
run folder (the others get its name), writes config.yaml and prints."""
import datetime
import sys
from pathlib import Path

from .. import checkpoint
from ..config import batch_size_of, dump
from ..distributed import broadcast_json, world
from ..trainer import Trainer, evaluate
from ..trainer.evaluation import _evaluate
from ..trainer import run_lock
from ..trainer.files import atomic_write_text, remove_unstarted
from ..trainer.monitoring import best_choice
from .common import EXIT_INTERRUPTED, load_and_build
from .common import out as _out
from .parser import UsageError
from .resume_python import resume_python
from ..trainer.python_run import is_python_run


def out(text=""):
    """Print on rank 0 only."""
    if world().is_root:
        _out(text)


def info(args, text):
    """A progress line (run folder, resuming, world size): not with --quiet."""
    if not args.quiet:
        out(text)


def trainer_log(text):
    """The trainer's lines: warnings and notes to stderr (also with --quiet), the rest to stdout."""
    if text.startswith(("warning:", "note:")):
        if world().is_root:
            print(text, file=sys.stderr, flush=True)
    else:
        out(text)


def _log_every(args):
    """Epoch lines every N epochs: --log-every N, else 1 (none with --quiet)."""
    if args.log_every is not None:
        if args.log_every < 0:
            raise UsageError(f"kubik train: --log-every must be >= 0, got {args.log_every}")
        return args.log_every
    return 0 if args.quiet else 1


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
    if run_dir.is_dir():
        _lock(run_dir)          # first: a run still training there is refused
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
        trainer = Trainer.from_experiment(exp, run_dir, progress=False if args.quiet else None, log=trainer_log)
    trainer.log_every = _log_every(args)
    trainer.restore(ckpt)
    if args.set and world().is_root:
        atomic_write_text(run_dir / "config.yaml", dump(cfg))
    for stale in run_dir.glob(".*.npz.tmp-*") if world().is_root else ():      # left by a killed save
        stale.unlink()
    info(args, f"resuming {run_dir} at epoch {trainer.state['epoch'] + 1}, step {trainer.state['step']}")
    return cfg, exp, trainer, run_dir, False


def _start(args):
    """(config, experiment, trainer, run folder, whether this created it) of a new run of CONFIG.
    The folder is locked before anything is written in it, and removed again if that fails."""
    cfg, source, exp = load_and_build(args.config, args.set, args.imports)
    comm = world()
    run_dir = Path(broadcast_json(comm, str(_run_dir(cfg, args.config, args.out)) if comm.is_root else None))
    _check_fresh(run_dir)
    with source.placing():     # a training setting out of range: placed at its line or --set
        trainer = Trainer.from_experiment(exp, run_dir, progress=False if args.quiet else None, log=trainer_log)
    trainer.log_every = _log_every(args)
    created = not run_dir.exists()
    _lock(run_dir)              # a second process on this folder is refused from here on
    try:
        _check_fresh(run_dir)   # again, now that no one else can start a run here
        afresh = (run_dir / "config.yaml").exists()     # a run that stopped before its first checkpoint
        if comm.is_root:
            atomic_write_text(run_dir / "config.yaml", dump(cfg))
    except BaseException:
        _abandon(run_dir, created)
        raise
    if afresh:
        info(args, f"{run_dir} holds no checkpoint (its run stopped before the first one): starting afresh there")
    d = exp.data
    info(args, f"run folder {run_dir}: {len(d.X_train)} training, {len(d.X_val)} validation, "
        f"{len(d.X_test)} test samples; {exp.net.num_parameters():,} parameters")
    return cfg, exp, trainer, run_dir, created


def _check_fresh(run_dir):
    if (run_dir / "last.npz").exists():
        raise UsageError(f"kubik train: '{run_dir}' already holds a run; resume it with "
                         f"--resume {run_dir} or choose another --out")


def _abandon(run_dir, created):
    """Release the run folder's lock; remove the folder if this process made it and no step ran."""
    if world().is_root:
        run_lock.release(run_dir)
        if created:
            remove_unstarted(run_dir)


def _lock(run_dir):
    """Rank 0 locks the run folder for this process (released when cmd_train ends)."""
    if world().is_root:
        try:
            run_lock.acquire(run_dir)
        except run_lock.RunLocked as e:
            raise UsageError(f"kubik train: {e}") from None


def _world_line(args, batch_size):
    """'world size N (N ranks over MPI): global batch B, b per rank', with several processes only."""
    comm = world()
    if comm.size == 1:
        return
    lo, hi = batch_size // comm.size, -(-batch_size // comm.size)
    per = f"{lo}" if lo == hi else f"{lo}-{hi}"
    info(args, f"world size {comm.size} ({comm.size} ranks over {comm.name}): global batch {batch_size}, "
               f"{per} per rank")


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
    try:
        cfg, exp, trainer, run_dir, created = _resume(args) if args.resume else _start(args)
    except BaseException:
        if args.resume and world().is_root:       # _resume locks first, then reads
            run_lock.release(args.resume)
        raise
    try:
        return _train(args, cfg, exp, trainer, run_dir)
    except BaseException:
        _abandon(run_dir, created and trainer.state["step"] == 0)     # failed before its first step
        raise
    finally:
        if world().is_root:
            run_lock.release(run_dir)


def _train(args, cfg, exp, trainer, run_dir):
    _world_line(args, batch_size_of(cfg["train"], len(exp.data.X_train)))
    result = trainer.fit()
    if result.status == "already_done":
        out(result.message)
        return 0
    if result.message:
        out(result.message)
    if result.status == "interrupted":
        out(f"resume with: kubik train --resume {run_dir}")
        return EXIT_INTERRUPTED
    _summary(cfg, exp, trainer, run_dir)
    return 0


def _summary(cfg, exp, trainer, run_dir):
    """The test split scored with the final weights (last.npz) and with best.npz's, which are
    other weights, chosen on validation (every rank takes part: evaluation is sharded)."""
    X, y, st = exp.data.X_test, exp.data.y_test, trainer.state
    score = lambda: trainer.dist.evaluate(_evaluate, exp.net, exp.loss, X, y,      # noqa: E731
                                          cfg["train"]["eval_batch_size"], exp.task)
    text = lambda loss, acc: f"loss {loss:.4f}" + ("" if acc is None else f", accuracy {100 * acc:.2f}%")  # noqa
    final = score()
    how = best_choice(cfg["train"]["checkpoint"]["monitor"], len(exp.data.X_val) > 0, st["best"])
    if final[0] is not None:
        out(f"test split, final weights (last.npz, epoch {st['epoch']}): {text(*final)} on {len(X)} samples")
        if st["best_epoch"] == st["epoch"]:
            out(f"test split, best weights (best.npz, epoch {st['best_epoch']}, {how}): the final ones")
        elif st["best_epoch"] is not None and (run_dir / "best.npz").is_file():
            checkpoint.restore(checkpoint.read(run_dir / "best.npz"), exp.net, weights_only=True)
            out(f"test split, best weights (best.npz, epoch {st['best_epoch']}, {how}): {text(*score())}")
    out(f"trained {trainer.seconds():.1f}s; run folder {run_dir}; plot it with: kubik plot {run_dir}")
