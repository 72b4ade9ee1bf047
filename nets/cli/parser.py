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


def parser():
    """The parser of ``kubik COMMAND ...``."""
    p = _Parser(prog="kubik", description="Train and inspect kubik networks described by YAML configs.")
    p.add_argument("--version", action="version", version=f"kubik {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    t = sub.add_parser("train", help="train from a config, or resume a run")
    t.add_argument("config", nargs="?", help="the YAML config")
    _add_sets(t, help="override a config entry, e.g. --set optimizer.lr=0.05 (repeatable)")
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
    m = sub.add_parser("sample", help="generate text from a character model (text data set)")
    m.add_argument("run", help="a run folder (best.npz, else last.npz) or a checkpoint")
    m.add_argument("--length", type=int, default=200, help="characters to generate (default 200)")
    m.add_argument("--temperature", type=float, default=0.8, help="softmax temperature (default 0.8)")
    m.add_argument("--prime", help="the text to start from (default: one random vocabulary character)")
    m.add_argument("--seed", type=int, default=0, help="seeds the sampling (default 0)")
    return p
