"""``kubik plot RUN [RUN ...] [-o file.png]``: learning curves of one or more
run folders overlaid (and, where diagnostics.csv exists, a second PNG
``<file>-gradients.png`` of the gradient norm per layer); ``kubik plot RUN
--boundary [-o file.png]``: the decision boundary of a model with two input
features over its training points; ``kubik plot RUN --embedding``: a Siamese
net's 2-D embeddings of its test samples, coloured by class; ``--augment`` and
``--reconstructions``: pictures of images (cli.plot_images); ``kubik plot SWEEP_DIR [-o file.png]``: a
sweep's optimization history and each parameter against the metric
(default SWEEP_DIR/sweep.png). matplotlib is imported only here."""
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


def _embedding(args, plot):
    """The test samples of a pair data set through the net's first output (the shared encoder)."""
    run, ckpt, exp = run_experiment(args, "--embedding", "draws its test samples' embeddings")
    if exp.data.points is None:
        raise UsageError(f"kubik plot --embedding: the run's data ({exp.config['data']['name']}) are not pairs of "
                         f"single samples with classes (digits_pairs is)")
    from ..trainer import predict
    X, labels = exp.data.points
    outs = predict(exp.net, (X,) * len(exp.net.inputs), exp.config["train"]["eval_batch_size"])
    path = Path(args.o) if args.o else run / "embedding.png"
    return [plot.plot_embedding(outs[0] if isinstance(outs, tuple) else outs, labels, path,
                                f"{run.resolve().name}: embeddings of the {len(X)} test samples ({ckpt.name})")]


def _sweep(args, plot):
    from .. import sweep
    if len(args.runs) != 1 or args.boundary:
        raise UsageError("kubik plot: a sweep folder is drawn alone (no other RUN, no --boundary)")
    folder = Path(args.runs[0])
    rows, s = sweep.trials(folder)
    path = Path(args.o) if args.o else folder / "sweep.png"
    return [plot.plot_sweep(rows, sweep.scales(s), s.metric, s.direction, path,
                            f"sweep {folder.resolve().name}: study {s.study!r}, {len(rows)} trials")]


def cmd_plot(args):
    from .. import plot
    try:
        if any((Path(r) / "sweep.yaml").is_file() for r in args.runs):
            written = _sweep(args, plot)
        elif args.embedding:
            written = _embedding(args, plot)
        elif args.boundary:
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
