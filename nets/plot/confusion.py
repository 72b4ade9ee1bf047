"""The confusion matrix as a picture: counts in each cell, rows true labels,
columns predicted labels, darker for more samples."""
from .backend import pyplot, save


def plot_confusion(cm, labels, path, title="confusion matrix"):
    """Write the confusion matrix ``cm`` (C, C) with class ``labels`` to the PNG ``path``."""
    plt = pyplot()
    C = len(labels)
    side = min(4 + 0.5 * C, 12)
    fig, ax = plt.subplots(figsize=(side, side))
    ax.imshow(cm, cmap="Blues")
    top = cm.max() if cm.size else 0
    for i in range(C):
        for j in range(C):
            ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > top / 2 else "black")
    ticks = [str(v) for v in labels]
    ax.set_xticks(range(C), ticks)
    ax.set_yticks(range(C), ticks)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save(fig, path)
