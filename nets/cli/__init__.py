"""The ``kubik`` command (also ``python -m kubik``).

    kubik train CONFIG [--set KEY=VALUE ...] [--out RUN_DIR] [--quiet]
    kubik train --resume RUN_DIR [--set train.epochs=N]
    kubik eval CHECKPOINT [--split test|val|train] [--report [-o confusion.png]]
    kubik plot RUN [RUN ...] [-o file.png] [--boundary]
    kubik summary CONFIG [--set KEY=VALUE ...]
    kubik layers
    kubik gradcheck [NAME ...]
    kubik predict CHECKPOINT_OR_RUN INPUT [-o OUT] [--batch-size N]
    kubik export CHECKPOINT_OR_RUN OUT.onnx [--with-preprocessing]
    kubik sweep CONFIG [--param KEY=SPACE ...] [--trials N] [--jobs J] [--storage URL] [--out DIR]
    kubik sweep DIR [--report]

train, eval, summary, gradcheck, predict and export take ``--import MODULE``.

Exit codes: 0 done, 1 training diverged (NaN/inf loss) or a gradient check
failed, 2 a mistake in the command line, the config, the data or a
checkpoint (one line on stderr, no traceback), 130 interrupted by Ctrl-C
(after saving a checkpoint).

    entry       main: dispatch and exit codes       parser    the argument parser, UsageError
    train       kubik train                         evaluate  kubik eval
    inspection  kubik summary, layers, gradcheck    common    exit codes, loading and building
    predict     kubik predict                       export    kubik export (ONNX)
    plot        kubik plot                          report    kubik eval --report
    sweep       kubik sweep (nets.sweep)
"""
from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from .entry import COMMANDS, main, run
from .evaluate import cmd_eval
from .inspection import cmd_gradcheck, cmd_layers, cmd_summary
from .plot import cmd_plot
from .parser import UsageError
from .train import cmd_train
from .predict import cmd_predict
from .export import cmd_export
from .sweep import cmd_sweep
