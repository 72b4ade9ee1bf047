"""The 2-D embeddings of a Siamese net: each test sample mapped by the shared
encoder (the net's first output) to a point, coloured by its class, as Caffe's
MNIST siamese example draws them. A 1-D embedding is drawn against a jitter."""
import numpy as np

from .backend import PlotError, pyplot, save

SIZE = (7, 6)


def plot_embedding(points, labels, path, title="embedding", class_names=None):
    """Write the (n, 2) ``points`` coloured by ``labels`` to the PNG ``path``."""
    points = np.asarray(points, np.float64).reshape(len(points), -1)
    if points.shape[1] not in (1, 2):
        raise PlotError(f"--embedding draws 2-D (or 1-D) embeddings; this net's are {points.shape[1]}-D")
    if points.shape[1] == 1:
        points = np.concatenate([points, np.random.default_rng(0).uniform(-0.5, 0.5, (len(points), 1))], 1)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    cmap = plt.get_cmap("tab10")
    for c in np.unique(labels):
        m = labels == c
        name = class_names[int(c)] if class_names is not None and int(c) < len(class_names) else str(int(c))
        ax.scatter(points[m, 0], points[m, 1], s=8, color=cmap(int(c) % 10), alpha=0.8, label=name)
    ax.set_xlabel("embedding 1")
    ax.set_ylabel("embedding 2")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, markerscale=2, loc="best")
    fig.tight_layout()
    return save(fig, path)
