"""matplotlib, imported on first use with the Agg backend (no display needed)."""

HINT = 'matplotlib is needed for plots: pip install "kubik[plot]" (or pip install -e ".[plot]" in a checkout)'
DPI = 100   # figure sizes are given in inches; PNGs have size inches x DPI pixels


class PlotError(Exception):
    """A plot cannot be drawn (no metrics, matplotlib missing, ...): one line, exit 2."""


def pyplot():
    """matplotlib.pyplot on the Agg backend; PlotError with the install hint if missing."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError(HINT) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def save(fig, path):
    """Write ``fig`` as a PNG of exactly its size x DPI pixels and close it; returns path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png")
    pyplot().close(fig)
    return path
