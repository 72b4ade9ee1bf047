"""``kubik predict CHECKPOINT_OR_RUN INPUT [-o OUT] [--batch-size N] [--beam K]``: one
csv row per input sample: the prediction (the class name the data had, or the
value for a regression) and, for classification, a probability per class
with the class names as column names; for a Siamese net (task pairs), same or
different and the embeddings' distance; for a CTC model (label sequences) each
sample's labels as one string ("3141" for a digit strip), decoded greedily or, with
``--beam K``, by prefix beam search over K prefixes. A model with several inputs reads an
.npz with one array per input name. Printed when no ``-o`` is given."""
import csv
import sys
from pathlib import Path

import numpy as np

from ..inference import preprocessing as pre
from ..inference import sequences
from ..inference.model import load
from ..inference.predict_inputs import read_batches
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


def _rows(model, X, batch_size, beam=None):
    if model.task == "ctc":
        return [[sequences.as_text(seq, model.classes, model.record["blank"])]
                for seq in model.decode(X, beam, batch_size)]
    out = model.main_output(X, batch_size)               # one forward pass per batch
    if model.task == "pairs":                            # a Siamese net: the embeddings' distance per pair
        labels = model.classes[(out < model.record["threshold"]).astype(np.int64)]
        return [[str(label), f"{d:.6g}"] for label, d in zip(labels, out)]
    if model.task == "regression":
        values = out.reshape(len(out), -1)
        return [[f"{x:.7g}" for x in v] for v in values]
    proba = pre.probabilities(model.record, out)
    labels = model.classes[pre.class_indices(model.record, out)]
    return [[str(label)] + [f"{p:.6g}" for p in row] for label, row in zip(labels, proba)]


def cmd_predict(args):
    model = load(args.model, imports=args.imports)
    if args.beam is not None and (model.task != "ctc" or args.beam < 1):
        raise UsageError(f"kubik predict: --beam must be >= 1, got {args.beam}" if model.task == "ctc" else
                         f"kubik predict: --beam decodes label sequences; this is a {model.task} model, not a "
                         f"CTC model")
    target = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    n, ok = 0, False
    try:
        writer = csv.writer(target, lineterminator="\n")
        width = model.net_output_shape()[0] if model.task == "regression" else None
        writer.writerow(_header(model, width))
        for X in read_batches(args.input, model, args.batch_size):
            writer.writerows(_rows(model, X, args.batch_size, args.beam))
            n += len(X)
        ok = True
    except ValueError as e:
        raise UsageError(f"kubik predict: {e}") from None
    except FileNotFoundError as e:
        raise UsageError(f"kubik predict: no such file '{e.filename}'") from None
    finally:
        if target is not sys.stdout:
            target.close()
            if not ok:                  # no half-written predictions file
                Path(args.output).unlink(missing_ok=True)
    if args.output:
        out(f"wrote {n} predictions to {args.output}")
    return 0
