"""``kubik plot RUN [RUN ...] [-o file.png]``: learning curves of one or more
run folders overlaid (and, where diagnostics.csv exists, a second PNG
``<file>-gradients.png`` of the gradient norm per layer); ``kubik plot RUN
--boundary [-o file.png]``: the decision boundary of a model with two input
features over its training points; ``--augment`` and ``--reconstructions``:
pictures of images (cli.plot_images). matplotlib is imported only here."""
from pathlib import Path

from .common import out
from .parser import UsageError
from .plot_images import augmented, reconstructions, run_experiment


def _default_out(runs, name):
    return Path(runs[0]) / name if len(runs) == 1 else Path(name)


def _boundary(args, plot):
    run, ckpt, exp = run_experiment(args, "--boundary", "draws the model over its training data")
    if exp.task.num_classes is None:
        raise UsageError("kubik plot --boundary: the model is a regression (no classes)")
    from ..inference.report import predict
    d = exp.data
    path = Path(args.o) if args.o else run / "boundary.png"
    return [plot.plot_boundary(lambda G: predict(exp, G, 10000), d.X_train, d.y_train, path,
                               f"{run.resolve().name}: decision boundary ({ckpt.name}) and training points")]


def cmd_plot(args):
    from .. import plot
    try:
        if args.boundary:
            written = _boundary(args, plot)
        elif args.augment:
            written = augmented(args, plot)
        elif args.reconstructions:
            written = reconstructions(args, plot)
        else:
            runs = [plot.read_run(r) for r in args.runs]
            path = Path(args.o) if args.o else _default_out(args.runs, "plot.png")
            written = [plot.plot_curves(runs, path)]
            grads = plot.plot_gradients(runs, path.with_name(f"{path.stem}-gradients{path.suffix or '.png'}"))
            written += [grads] if grads else []
    except plot.PlotError as e:
        raise UsageError(f"kubik plot: {e}") from None
    for p in written:
        out(f"wrote {p}")
    return 0
