"""``kubik plot RUN --augment``: eight training images as the data gives them
(scaled) above the same images after the run's ``data.augment`` transforms, in
two draws: what the net really sees. The draws come from a generator seeded by
the config's seed (not the run's training stream), so the picture is the same
every time. ``kubik plot RUN --reconstructions``: ten test inputs above the
model's outputs, for a run whose target is its input (``data.target: input``)."""
from pathlib import Path

import numpy as np

from .evaluate import experiment_from_checkpoint
from .parser import UsageError

SHOWN = 8          # training images in --augment
DRAWS = 2          # rows of transformed copies
RECONSTRUCTED = 10


def run_experiment(args, flag, why):
    """(run folder, checkpoint, Experiment with its weights) of the one RUN a ``flag`` plot takes."""
    if len(args.runs) != 1:
        raise UsageError(f"kubik plot {flag}: give one run folder")
    run = Path(args.runs[0])
    ckpt = next((run / n for n in ("best.npz", "last.npz") if (run / n).is_file()), None)
    if ckpt is None:
        raise UsageError(f"kubik plot {flag}: '{run}' has no best.npz or last.npz")
    return run, ckpt, experiment_from_checkpoint(ckpt, args.imports, f" ({flag} {why})")[2]


def augmented(args, plot):
    run, _, exp = run_experiment(args, "--augment", "draws the transforms of the run's own training data")
    if not exp.augment:
        raise UsageError(f"kubik plot --augment: the run in '{run}' has no data.augment transforms")
    X = exp.data.X_train[:SHOWN]
    rng = np.random.default_rng([int(exp.config["seed"]), 26])
    target = X if exp.data.y_train is exp.data.X_train else None
    rows, labels = [X], ["data"]
    for k in range(DRAWS):
        got = exp.augment(X.copy(), rng, target=None if target is None else target.copy())
        rows.append(got if target is None else got[0])
        labels.append(f"draw {k + 1}")
    names = ", ".join(type(t).__name__ for t in exp.augment.transforms)
    path = Path(args.o) if args.o else run / "augment.png"
    return [plot.plot_image_rows(rows, labels, path, f"{run.resolve().name}: training images and {names}")]


def reconstructions(args, plot):
    from ..trainer import predict
    run, ckpt, exp = run_experiment(args, "--reconstructions", "draws the model's outputs for its test split")
    d = exp.data
    if d.y_test is not d.X_test:
        raise UsageError(f"kubik plot --reconstructions: the run in '{run}' does not reconstruct its input "
                         f"(its config has no data.target: input)")
    X = d.X_test[:RECONSTRUCTED]
    out = predict(exp.net, X)
    path = Path(args.o) if args.o else run / "reconstructions.png"
    return [plot.plot_image_rows([X, out], ["input", "output"], path,
                                 f"{run.resolve().name}: test inputs and reconstructions ({ckpt.name})")]
