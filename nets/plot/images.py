"""Rows of images as one picture: a training batch before and after its
transforms (``kubik plot RUN --augment``), test inputs above their
reconstructions (``kubik plot RUN --reconstructions``). One channel is drawn in
grey, three as RGB (other counts: the first channel), every image on the same
value scale (the first row's range), so a brighter or darker copy shows."""
import numpy as np

from .backend import PlotError, pyplot, save

CELL = 1.1   # inches per image


def _drawable(X):
    """(n, H, W) or (n, H, W, 3) of samples (n, C, H, W), (n, H, W) or flat squares."""
    X = np.asarray(X, np.float64)
    if X.ndim == 2:                       # flat vectors: square images if they are squares
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise PlotError(f"samples of shape {X.shape[1:]} are not images")
        return X.reshape(len(X), side, side)
    if X.ndim == 3:
        return X
    if X.ndim == 4:
        return X.transpose(0, 2, 3, 1) if X.shape[1] == 3 else X[:, 0]
    raise PlotError(f"samples of shape {X.shape[1:]} are not images")


def plot_image_rows(rows, labels, path, title):
    """Write ``rows`` (a list of equally long sample arrays) as a grid, row ``i`` named ``labels[i]``."""
    plt = pyplot()
    rows = [_drawable(r) for r in rows]
    lo, hi = float(rows[0].min()), float(rows[0].max())
    hi = hi if hi > lo else lo + 1.0
    n = len(rows[0])
    fig, axes = plt.subplots(len(rows), n, figsize=(CELL * n + 1.4, CELL * len(rows) + 0.6), squeeze=False)
    for i, (row, label) in enumerate(zip(rows, labels)):
        for j in range(n):
            ax = axes[i, j]
            img = np.clip((row[j] - lo) / (hi - lo), 0.0, 1.0)
            ax.imshow(img, cmap=None if img.ndim == 3 else "gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)
