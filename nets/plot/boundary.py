"""The decision boundary of a model with two input features: the predicted
class over a 300 x 300 grid covering the training points (with a 10 % margin),
as filled regions, and the training points on top coloured by their label.
The axes are the model's input features (after data.scale)."""
import numpy as np

from .backend import PlotError, pyplot, save

SIZE = (7, 6)   # inches: 700 x 600 pixels
GRID = 300


def plot_boundary(predict, X, y, path, title="decision boundary"):
    """Write the boundary of ``predict`` (an (n, 2) array -> n class labels) with the
    points ``X`` (n, 2), labels ``y``, to the PNG ``path``."""
    if X.ndim != 2 or X.shape[1] != 2:
        raise PlotError(f"--boundary needs a model with two input features, this data has "
                        f"{X.shape[1:] if X.ndim > 1 else X.shape} per sample")
    plt = pyplot()
    lo, hi = X.min(0), X.max(0)
    pad = 0.1 * np.maximum(hi - lo, 1e-6)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], GRID)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.stack([xx.ravel(), yy.ravel()], 1).astype(X.dtype)
    zz = np.asarray(predict(grid)).reshape(xx.shape)
    classes = np.union1d(np.unique(y), np.unique(zz))
    fig, ax = plt.subplots(figsize=SIZE)
    cmap = plt.get_cmap("tab10")
    levels = np.arange(classes.max() + 2) - 0.5
    ax.contourf(xx, yy, zz, levels=levels, cmap=cmap, vmin=-0.5, vmax=9.5, alpha=0.35)
    ax.contour(xx, yy, zz, levels=levels, colors="k", linewidths=0.6)
    for c in np.unique(y):
        m = y == c
        ax.scatter(X[m, 0], X[m, 1], s=10, color=cmap(int(c) % 10), edgecolors="k", linewidths=0.3,
                   label=f"class {int(c)}")
    ax.set_xlabel("feature 1 (as the model sees it)")
    ax.set_ylabel("feature 2 (as the model sees it)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return save(fig, path)
