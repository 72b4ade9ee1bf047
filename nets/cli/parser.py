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
                   help="BLAS/kernel threads (same as --set train.threads=N; default auto by model size)")
    t.add_argument("--out", metavar="RUN_DIR", help="the run folder (default: <train.out>/<config-stem>-<time>)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last.npz")
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    e = sub.add_parser("eval", help="loss and accuracy of a checkpoint on the test split")
    e.add_argument("checkpoint")
    e.add_argument("--split", choices=("test", "val", "train"), default="test")
    s = sub.add_parser("summary", help="the layer table of a config: output shapes and parameter counts")
    s.add_argument("config")
    _add_sets(s)
    sub.add_parser("layers", help="every registered layer, loss, optimizer, schedule and data set")
    g = sub.add_parser("gradcheck", help="gradient check of every registered layer (and loss)")
    g.add_argument("names", nargs="*", help="only these layers/losses")
    return p
