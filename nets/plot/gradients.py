"""Gradient flow: the L2 norm of each weight's gradient (diagnostics.csv,
metric grad_norm, parameters named *.weight) over the optimizer steps, on a log
scale, one panel per run sharing the y axis. Layers are coloured from the first
(dark) to the last (light), so vanishing gradients show as dark curves far below
the light ones."""
import math

from .backend import pyplot, save

PANEL = (7, 5)   # inches per run: 700 x 500 pixels


def _series(run):
    """{weight name: ([steps], [grad norms])} in the net's order."""
    out = {}
    for step, name, metric, value in run.diagnostics:
        if metric == "grad_norm" and name.endswith("weight") and 0 < value < math.inf:
            xs, ys = out.setdefault(name, ([], []))
            xs.append(step)
            ys.append(value)
    return out


def plot_gradients(runs, path):
    """Write the gradient-norm panels of the ``runs`` that have diagnostics; None if none has."""
    runs = [(r, _series(r)) for r in runs]
    runs = [(r, s) for r, s in runs if s]
    if not runs:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(runs), figsize=(PANEL[0] * len(runs), PANEL[1]), sharey=True, squeeze=False)
    for ax, (run, series) in zip(axes[0], runs):
        cmap = plt.get_cmap("viridis")
        n = len(series)
        for i, (name, (xs, ys)) in enumerate(series.items()):
            ax.plot(xs, ys, color=cmap(i / max(n - 1, 1)), lw=1.5, label=name)
        ax.set_yscale("log")
        ax.set_title(f"{run.name}: gradient norm per layer", fontsize=10)
        ax.set_xlabel("optimizer step")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, ncol=2 if n > 6 else 1, title="first (dark) to last (light)", title_fontsize=7)
    axes[0][0].set_ylabel("‖gradient‖₂ (log scale)")
    fig.tight_layout()
    return save(fig, path)
