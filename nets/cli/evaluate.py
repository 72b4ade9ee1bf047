"""``kubik eval CHECKPOINT_OR_RUN [--split test|val|train] [--report [-o confusion.png]]``:
rebuild the model from the config a checkpoint holds, load its weights, report
loss and accuracy (and, with --report, the confusion matrix and per-class
precision / recall / F1, see cli.report). A run whose target is its input
(``data.target: input``) also gets its reconstruction MSE next to PCA's with
the same code size, fitted on the training split (nets.inference.reconstruction).
A Siamese net (a Contrastive loss) also gets its pair accuracy at the best
distance threshold of the split. ``--data SOURCE`` evaluates on other
data instead (cli.eval_data), as a run trained from Python requires."""
from .. import checkpoint
from ..checkpoint.format import label
from ..config import Source, normalize
from ..inference.model import checkpoint_path
from ..trainer.python_run import is_python_run
from ..trainer.monitoring import which_weights
from ..trainer import evaluate
from ..inference.sequences import sequence_text
from ..trainer.evaluation import is_pair_loss
from .common import build_experiment, import_code, out
from .eval_data import eval_on_data, pair_text
from .parser import UsageError
from .report import report


def experiment_from_checkpoint(path, imports=(), python_hint=""):
    """(checkpoint, config, Experiment with the checkpoint's weights) of a checkpoint file;
    ``imports``: --import modules, besides those the run recorded. A run trained from
    Python (no config, no data) is a UsageError ending in ``python_hint``."""
    ckpt = checkpoint.read(path)
    if is_python_run(ckpt):
        raise UsageError(f"{label(ckpt.path)} comes from a run trained in Python, which records no data"
                         f"{python_hint}")
    if not isinstance(ckpt.config, dict):
        raise checkpoint.CheckpointError(f"{label(ckpt.path)} holds no config to rebuild the model from")
    source = Source(f"{ckpt.path} (its config)")
    with source.placing():
        cfg = normalize(ckpt.config)
    import_code(cfg, source, ckpt.path.parent, imports)
    exp = build_experiment(cfg, source)
    checkpoint.restore(ckpt, exp.net, weights_only=True)
    return ckpt, cfg, exp


def _reconstruction_line(exp, X, batch_size, scale):
    from ..inference.reconstruction import code_size, pca_mse, reconstruction_mse
    from ..trainer import predict
    k = code_size(exp.rows)
    mse = reconstruction_mse(predict(exp.net, X, batch_size), X)
    return (f"reconstruction MSE {mse:.4f} (data scaled: {scale}); PCA with {k} components (the code size: "
            f"the narrowest layer's output), fitted on the training split: {pca_mse(exp.data.X_train, X, k):.4f}; "
            f"the mean training image: {pca_mse(exp.data.X_train, X, 0):.4f}")


def cmd_eval(args):
    if args.o and not args.report:
        raise UsageError("kubik eval: -o draws the confusion matrix of --report; add --report")
    if args.data is not None:
        if args.split is not None:
            raise UsageError("kubik eval: --split picks a split of the run's own data and --data names other "
                             "data; give one of them")
        return eval_on_data(args)
    args.split = args.split or "test"
    ckpt, cfg, exp = experiment_from_checkpoint(
        checkpoint_path(args.checkpoint), args.imports,
        ": give the data to evaluate on with --data SOURCE (a data set name, or an .npz or .csv file)")
    X, y = {"test": (exp.data.X_test, exp.data.y_test), "val": (exp.data.X_val, exp.data.y_val),
            "train": (exp.data.X_train, exp.data.y_train)}[args.split]
    if not len(X):
        raise UsageError(f"kubik eval: the {args.split} split is empty")
    loss, acc = evaluate(exp, X, y, cfg["train"]["eval_batch_size"])
    acc_text = "" if acc is None else f"  accuracy {100 * acc:.2f}%"
    out(f"{ckpt.path} ({which_weights(ckpt)}): {args.split} split, {len(X)} samples: "
        f"loss {loss:.4f}{acc_text}{sequence_text(exp.net, exp.task, X, y, cfg['train']['eval_batch_size'])}")
    if y is X:
        out(_reconstruction_line(exp, X, cfg["train"]["eval_batch_size"], cfg["data"].get("scale")))
    if is_pair_loss(exp.loss):
        out(pair_text(exp.net, exp.loss, X, y, cfg["train"]["eval_batch_size"]))
    if args.report and getattr(exp.task, "ctc", None) is not None:
        raise UsageError("kubik eval --report: the confusion matrix is for classification; a CTC model's "
                         "sequence and label accuracy are printed above")
    if args.report:
        report(exp, X, y, cfg["train"]["eval_batch_size"], args.o,
               f"{ckpt.path.name}: confusion matrix, {args.split} split ({len(X)} samples)")
    return 0
