"""``kubik predict CHECKPOINT_OR_RUN INPUT [-o OUT] [--batch-size N] [--beam K]``: one
csv row per input sample: the prediction (the class name the data had, an
integer label where it had integer labels, or the value for a regression) and,
for classification, a probability per class with the class names as column
names; for a Siamese net (task pairs), same or different and the embeddings'
distance; for a CTC model (label sequences) each sample's labels as one string
("3141" for a digit strip), decoded greedily or, with ``--beam K``, by prefix beam
search over K prefixes. A model with several inputs reads an .npz with one array
per input name. Printed when no ``-o`` is given.

Nothing is lost on a refusal: ``-o`` is written through a temporary file in
its folder that replaces OUT only when every input has been read, checked and
predicted (an existing OUT stays as it was otherwise), and ``-o`` naming the
input or the checkpoint is refused before anything is opened. On stdout the
csv is the only thing printed: the user's modules (``imports:``, ``--import``)
print to stderr while the command runs."""
import csv
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np

from ..inference import preprocessing as pre
from ..inference import sequences
from ..inference.model import checkpoint_path, load
from ..inference.predict_inputs import read_batches
from ..trainer.files import atomic_file
from .common import out
from .parser import UsageError


def _header(model, width):
    if model.task == "pairs":
        return ["prediction", "distance"]
    if model.task == "regression":
        return ["prediction"] if width == 1 else [f"prediction_{i}" for i in range(width)]
    if model.task == "ctc":
        return ["prediction"]
    return ["prediction"] + [str(c) for c in model.classes]


def _rows(model, X, batch_size, path, beam=None):
    try:
        if model.task == "ctc":
            return [[sequences.as_text(seq, model.classes, model.record["blank"])]
                    for seq in model.decode(X, beam, batch_size)]
        out = model.main_output(X, batch_size)               # one forward pass per batch
    except ValueError as e:                                  # a shape the model does not take, NaN, ...
        raise ValueError(f"'{path}': {e}") from None
    if model.task == "pairs":                            # a Siamese net: the embeddings' distance per pair
        labels = model.classes[(out < model.record["threshold"]).astype(np.int64)]
        return [[str(label), f"{d:.6g}"] for label, d in zip(labels, out)]
    if model.task == "regression":
        values = out.reshape(len(out), -1)
        return [[f"{x:.7g}" for x in v] for v in values]
    proba = pre.probabilities(model.record, out)
    labels = model.classes[pre.class_indices(model.record, out)]
    return [[str(label)] + [f"{p:.6g}" for p in row] for label, row in zip(labels, proba)]


def _same(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_output(args):
    """Refuse an OUT that would destroy what the command reads."""
    output = Path(args.output)
    if _same(output, args.input):
        raise UsageError(f"kubik predict: -o '{args.output}' is the input file; write the predictions elsewhere")
    try:
        ckpt = checkpoint_path(args.model)
    except Exception:       # noqa: BLE001  (load says what is wrong with the model)
        ckpt = None
    if ckpt is not None and _same(output, ckpt):
        raise UsageError(f"kubik predict: -o '{args.output}' is the checkpoint; write the predictions elsewhere")
    if output.is_dir():
        raise UsageError(f"kubik predict: -o '{args.output}' is a folder; give a file name")
    if not output.parent.is_dir():
        raise UsageError(f"kubik predict: -o '{args.output}': no folder '{output.parent}'")


def _write(model, args, stream):
    """The csv of every batch into ``stream``; the number of predictions."""
    writer = csv.writer(stream, lineterminator="\n")
    width = model.net_output_shape()[0] if model.task == "regression" else None
    writer.writerow(_header(model, width))
    n = 0
    for X in read_batches(args.input, model, args.batch_size):
        writer.writerows(_rows(model, X, args.batch_size, args.input, args.beam))
        n += len(X)
    return n


def _write_file(model, args):
    """Predictions into a temporary file beside OUT, renamed over it at the end."""
    with atomic_file(args.output, "w", newline="", encoding="utf-8") as f:
        return _write(model, args, f)


def cmd_predict(args):
    if args.batch_size < 1:
        raise UsageError(f"kubik predict: --batch-size must be a positive integer, got {args.batch_size}")
    if args.output:
        _check_output(args)
    data = sys.stdout                 # the csv; anything else printed meanwhile goes to stderr
    try:
        with redirect_stdout(sys.stderr):
            model = load(args.model, imports=args.imports)
            if args.beam is not None and (model.task != "ctc" or args.beam < 1):
                raise UsageError(f"kubik predict: --beam must be >= 1, got {args.beam}" if model.task == "ctc" else
                                 f"kubik predict: --beam decodes label sequences; this is a {model.task} model, not "
                                 f"a CTC model")
            n = _write_file(model, args) if args.output else _write(model, args, data)
    except ValueError as e:
        raise UsageError(f"kubik predict: {e}") from None
    except FileNotFoundError as e:
        raise UsageError(f"kubik predict: no such file '{e.filename}'") from None
    if args.output:
        out(f"wrote {n} predictions to {args.output}")
    return 0
