"""``kubik eval CHECKPOINT [--split test|val|train] [--report [-o confusion.png]]``:
rebuild the model from the config a checkpoint holds, load its weights, report
loss and accuracy (and, with --report, the confusion matrix and per-class
precision / recall / F1, see cli.report)."""
from .. import checkpoint
from ..checkpoint.format import label
from ..config import Source, normalize
from ..trainer import evaluate
from .common import build_experiment, import_code, out
from .parser import UsageError
from .report import report


def experiment_from_checkpoint(path, imports=()):
    """(checkpoint, config, Experiment with the checkpoint's weights) of a checkpoint file;
    ``imports``: --import modules, besides those the run recorded."""
    ckpt = checkpoint.read(path)
    if not isinstance(ckpt.config, dict):
        raise checkpoint.CheckpointError(f"{label(ckpt.path)} holds no config to rebuild the model from")
    source = Source(f"{ckpt.path} (its config)")
    with source.placing():
        cfg = normalize(ckpt.config)
    import_code(cfg, source, ckpt.path.parent, imports)
    exp = build_experiment(cfg, source)
    checkpoint.restore(ckpt, exp.net, weights_only=True)
    return ckpt, cfg, exp


def cmd_eval(args):
    if args.o and not args.report:
        raise UsageError("kubik eval: -o draws the confusion matrix of --report; add --report")
    ckpt, cfg, exp = experiment_from_checkpoint(args.checkpoint, args.imports)
    X, y = {"test": (exp.data.X_test, exp.data.y_test), "val": (exp.data.X_val, exp.data.y_val),
            "train": (exp.data.X_train, exp.data.y_train)}[args.split]
    if not len(X):
        raise UsageError(f"kubik eval: the {args.split} split is empty")
    loss, acc = evaluate(exp, X, y, cfg["train"]["eval_batch_size"])
    tr = ckpt.trainer
    acc_text = "" if acc is None else f"  accuracy {100 * acc:.2f}%"
    out(f"{ckpt.path} (epoch {tr.get('epoch')}, step {tr.get('step')}): {args.split} split, {len(X)} samples: "
        f"loss {loss:.4f}{acc_text}")
    if args.report:
        report(exp, X, y, cfg["train"]["eval_batch_size"], args.o,
               f"{ckpt.path.name}: confusion matrix, {args.split} split ({len(X)} samples)")
    return 0
