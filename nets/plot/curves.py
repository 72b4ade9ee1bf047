"""Learning curves: training (solid) and validation (dashed) loss, validation
accuracy and learning rate per epoch, in three panels; one colour per run,
with the run folders' names in the legend. The loss axis is logarithmic when the
losses span more than a factor LOG_ABOVE (a diverging run next to good ones)."""
from .backend import pyplot, save

SIZE = (15, 4.5)   # inches: 1500 x 450 pixels
LOG_ABOVE = 100    # the loss axis turns logarithmic when the largest loss is this many times the smallest


def _points(epochs, values):
    pts = [(e, v) for e, v in zip(epochs, values) if v is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_curves(runs, path):
    """Write the curves of ``runs`` (a list of Run) to the PNG ``path``."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, (ax_loss, ax_acc, ax_lr) = plt.subplots(1, 3, figsize=SIZE)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, run in enumerate(runs):
        c, mark = colors[i % len(colors)], ("o" if len(run.epochs) < 30 else None)
        ax_loss.plot(*_points(run.epochs, run.columns["train_loss"]), color=c, marker=mark, ms=3,
                     label=f"{run.name} train")
        x, y = _points(run.epochs, run.columns["val_loss"])
        if x:
            ax_loss.plot(x, y, color=c, ls="--", marker=mark, ms=3, label=f"{run.name} val")
        x, y = _points(run.epochs, run.columns["val_accuracy"])
        if x:
            ax_acc.plot(x, [100 * v for v in y], color=c, marker=mark, ms=3, label=run.name)
        ax_lr.plot(*_points(run.epochs, run.columns["lr"]), color=c, marker=mark, ms=3, label=run.name)
    for ax, title, ylabel in ((ax_loss, "loss (solid: train, dashed: validation)", "loss"),
                              (ax_acc, "validation accuracy", "accuracy (%)"),
                              (ax_lr, "learning rate", "lr")):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.lines:
            ax.legend(fontsize=7)
    losses = [v for r in runs for k in ("train_loss", "val_loss") for v in r.columns[k] if v is not None]
    if losses and min(losses) > 0 and max(losses) / min(losses) > LOG_ABOVE:
        ax_loss.set_yscale("log")
        ax_loss.set_title("loss, log scale (solid: train, dashed: validation)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
