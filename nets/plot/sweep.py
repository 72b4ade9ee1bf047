"""A sweep's picture (``kubik plot SWEEP_DIR``): the optimization history
(each trial's value by trial number: complete trials as dots, pruned ones as
grey crosses at the value they were stopped with, and the best so far as a
line) and, one panel per parameter, the metric against the parameter's value
(a log axis for loguniform spaces, the choices in order for choice spaces).
Failed trials have no value and are left out."""
from .backend import PlotError, pyplot, save

PANEL = (5, 4)   # inches per panel: 500 x 400 pixels
COLUMNS = 3


def _positions(values, scale, choices):
    if scale == "category":
        index = {repr(c): i for i, c in enumerate(choices)}
        return [index.get(repr(v), 0) for v in values]
    return values


def _history(ax, rows, metric, direction):
    done = [r for r in rows if r["state"] == "complete" and r["value"] is not None]
    pruned = [r for r in rows if r["state"] == "pruned" and r["value"] is not None]
    ax.scatter([r["number"] for r in done], [r["value"] for r in done], s=18, label="complete", zorder=3)
    if pruned:
        ax.scatter([r["number"] for r in pruned], [r["value"] for r in pruned], s=18, marker="x", color="grey",
                   label="pruned", zorder=2)
    best, xs, ys = None, [], []
    for r in done:
        if best is None or (r["value"] < best if direction == "minimize" else r["value"] > best):
            best = r["value"]
        xs.append(r["number"])
        ys.append(best)
    if xs:
        ax.step(xs, ys, where="post", color="C3", label="best so far")
    ax.set_title("optimization history", fontsize=10)
    ax.grid(alpha=0.3)
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.legend(fontsize=7)


def plot_sweep(rows, params, metric, direction, path, title=""):
    """Write the history and parameter panels of ``rows`` (nets.sweep.report.records) to the PNG
    ``path``. ``params``: {key: (scale, choices)} with scale log, linear or category."""
    rows = [r for r in rows if r["value"] is not None]
    if not rows:
        raise PlotError("the sweep has no finished trial to draw yet")
    plt = pyplot()
    n = 1 + len(params)
    cols = min(n, COLUMNS)
    nrows = -(-n // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(PANEL[0] * cols, PANEL[1] * nrows), squeeze=False)
    flat = [ax for line in axes for ax in line]
    _history(flat[0], rows, metric, direction)
    for ax, (key, (scale, choices)) in zip(flat[1:], params.items()):
        for state, style in (("complete", {}), ("pruned", {"marker": "x", "color": "grey"})):
            sel = [r for r in rows if r["state"] == state and key in r["params"]]
            if sel:
                ax.scatter(_positions([r["params"][key] for r in sel], scale, choices), [r["value"] for r in sel],
                           s=18, label=state, **style)
        if scale == "log":
            ax.set_xscale("log")
        if scale == "category":
            ax.set_xticks(range(len(choices)), [str(c) for c in choices])
        ax.set_title(f"{metric} against {key}", fontsize=10)
        ax.set_xlabel(key)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    for ax in flat[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, path)
