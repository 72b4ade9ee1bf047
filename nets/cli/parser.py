"""The ``kubik`` argument parser: one sub-command per command, and
command-line mistakes as one-line ``UsageError``s (exit 2) instead of
argparse's usage text."""
import argparse

from ... import __version__


class UsageError(Exception):
    """A command-line mistake (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):           # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _add_sets(parser, **kwargs):
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", **kwargs)


def _add_imports(parser):
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import a module (or ./file.py) that registers layers etc. first (repeatable)")


class _Threads(argparse.Action):
    """``--threads N``: the same as ``--set train.threads=N``."""

    def __call__(self, parser, namespace, values, option_string=None):
        getattr(namespace, "set").append(f"train.threads={values}")


def parser():
    """The parser of ``kubik COMMAND ...``."""
    p = _Parser(prog="kubik", description="Train and inspect kubik networks described by YAML configs.")
    p.add_argument("--version", action="version", version=f"kubik {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    t = sub.add_parser("train", help="train from a config, or resume a run")
    t.add_argument("config", nargs="?", help="the YAML config")
    _add_sets(t, help="override a config entry, e.g. --set optimizer.lr=0.05 (repeatable)")
    t.add_argument("--threads", action=_Threads, metavar="N", dest="_threads", default=None,
                   help="threads for BLAS, the kernels and convolutions' batch split "
                        "(same as --set train.threads=N; default auto by model size)")
    t.add_argument("--out", metavar="RUN_DIR", help="the run folder (default: <train.out>/<config-stem>-<time>)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last.npz")
    t.add_argument("--quiet", action="store_true", help="print only the final result (the test split with the final "
                   "and the best weights), warnings and errors: no progress bars, no per-epoch lines")
    t.add_argument("--log-every", type=int, metavar="N", default=None,
                   help="print the epoch line every N epochs (default 1, with --quiet none; 0: none)")
    t.add_argument("--data", metavar="TRAIN", help="with --resume of a run made from Python: its training data "
                   "(an .npz with X and y, a .csv, a data set name or a folder of IDX files)")
    t.add_argument("--val", metavar="VAL", help="with --resume of a run made from Python: its validation data")
    t.add_argument("--epochs", type=int, metavar="N", help="train until epoch N (a YAML run: --set train.epochs=N)")
    _add_imports(t)
    e = sub.add_parser("eval", help="loss and accuracy of a checkpoint on the test split, or on --data")
    e.add_argument("checkpoint", metavar="CHECKPOINT_OR_RUN", help="a checkpoint, or a run folder (its best.npz)")
    e.add_argument("--split", choices=("test", "val", "train"), default=None,
                   help="a split of the run's config data (default test)")
    e.add_argument("--data", metavar="SOURCE", help="evaluate on this data instead: a data set name, an .npz or "
                   ".csv file, or a folder of IDX files (required for a run trained from Python)")
    _add_imports(e)
    e.add_argument("--report", action="store_true", help="confusion matrix and per-class precision/recall/F1")
    e.add_argument("-o", metavar="FILE.png", help="with --report: also draw the confusion matrix to this PNG")
    s = sub.add_parser("summary", help="the layer table of a config, run folder or checkpoint: output shapes and "
                       "parameter counts")
    s.add_argument("config", metavar="CONFIG|RUN|CKPT")
    _add_sets(s)
    _add_imports(s)
    sub.add_parser("layers", help="every registered layer, loss, optimizer, schedule and data set")
    pl = sub.add_parser("plot", help="learning curves (and gradient norms) of run folders, as PNG")
    pl.add_argument("runs", nargs="+", metavar="RUN", help="run folders (several are overlaid)")
    pl.add_argument("-o", metavar="FILE.png", help="output PNG (default RUN/plot.png, or ./plot.png for several runs)")
    _add_imports(pl)
    shown = pl.add_mutually_exclusive_group()
    shown.add_argument("--boundary", action="store_true", help="decision boundary of a 2-feature model (one RUN)")
    shown.add_argument("--embedding", action="store_true", help="a Siamese net's 2-D embeddings of the test samples, "
                       "coloured by class (one RUN trained on pairs, e.g. digits_pairs)")
    shown.add_argument("--augment", action="store_true",
                       help="training images before and after the run's data.augment transforms (one RUN)")
    shown.add_argument("--reconstructions", action="store_true",
                       help="test inputs above their reconstructions, for a run with data.target: input (one RUN)")
    g = sub.add_parser("gradcheck", help="gradient check of every registered layer (and loss)")
    g.add_argument("names", nargs="*", help="only these layers/losses")
    _add_imports(g)
    pr = sub.add_parser("predict", help="predictions of a trained model for new inputs (csv, npz or IDX) as csv")
    pr.add_argument("model", metavar="CHECKPOINT_OR_RUN", help="a checkpoint, or a run folder (its best.npz)")
    pr.add_argument("input", metavar="INPUT", help="a csv (with or without the target column), .npz or IDX file")
    pr.add_argument("-o", "--output", metavar="OUT", help="write the csv here (default: print it)")
    pr.add_argument("--batch-size", type=int, default=1000, metavar="N", help="samples per batch (bounds memory)")
    pr.add_argument("--beam", type=int, metavar="K", help="a CTC model: decode by prefix beam search over K "
                    "prefixes (default: greedy)")
    _add_imports(pr)
    x = sub.add_parser("export", help="export a trained model to ONNX (needs the [onnx] extra)")
    x.add_argument("model", metavar="CHECKPOINT_OR_RUN", help="a checkpoint, or a run folder (its best.npz)")
    x.add_argument("output", metavar="OUT.onnx")
    x.add_argument("--with-preprocessing", action="store_true",
                   help="put the input scaling into the graph (it then takes raw inputs)")
    x.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17; from 13 to the newest the "
                   "installed onnx knows)")
    _add_imports(x)
    w = sub.add_parser("sweep", help="a hyperparameter sweep of a config on Optuna (needs the [sweep] extra); "
                       "rerun to continue, --report for the table and best.yaml")
    w.add_argument("config", metavar="CONFIG|DIR", help="a config (its sweep: section and/or --param), or a sweep "
                   "folder to continue or --report")
    w.add_argument("--param", action="append", default=[], metavar="KEY=SPACE",
                   help="vary a config entry (a --set path) over loguniform(a, b), uniform(a, b), int(a, b) or "
                        "choice(x, y, ...) (repeatable)")
    _add_sets(w, help="override a config entry for every trial (repeatable)")
    w.add_argument("--trials", type=int, metavar="N", help="finished trials the study should hold (default 20)")
    w.add_argument("--jobs", type=int, metavar="J", help="worker processes on this machine (default 1)")
    w.add_argument("--storage", metavar="URL", help="where the study lives: an Optuna storage URL (sqlite:///..., "
                   "postgresql://...) or journal:FILE (default sqlite:///DIR/study.db)")
    w.add_argument("--study", metavar="NAME", help="the study's name (default: the config file's name)")
    w.add_argument("--direction", choices=("min", "max"), help="minimize or maximize the metric "
                   "(default: max for val_accuracy, else min)")
    w.add_argument("--metric", metavar="M", help="val_loss (default), val_accuracy or train_loss")
    w.add_argument("--out", metavar="DIR", help="the sweep folder (default <train.out>/<config name>[-sweep])")
    w.add_argument("--no-prune", action="store_true", help="never stop a trial early")
    w.add_argument("--sampler-seed", type=int, metavar="S", help="seeds the sampler (default: the config's seed)")
    w.add_argument("--report", action="store_true", help="with a sweep folder: the table of trials, the best one, "
                   "best.yaml")
    _add_imports(w)
    m = sub.add_parser("sample", help="generate text from a character model (text or shakespeare data set)")
    m.add_argument("run", help="a run folder (best.npz, else last.npz) or a checkpoint")
    m.add_argument("--length", type=int, default=200, help="characters to generate (default 200)")
    m.add_argument("--temperature", type=float, default=0.8, help="softmax temperature (default 0.8)")
    m.add_argument("--prime", help="the text to start from (default: one random vocabulary character)")
    m.add_argument("--seed", type=int, default=0, help="seeds the sampling (default 0)")
    _add_imports(m)
    return p
