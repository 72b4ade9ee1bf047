"""Pictures of runs (``kubik plot``); matplotlib is an optional extra
(``pip install -e ".[plot]"``), imported only here, with the Agg backend.

    backend   pyplot() with Agg, PlotError and the install hint
    runs      reading a run folder: metrics.csv and diagnostics.csv
    curves    loss, accuracy and learning rate per epoch, several runs overlaid
    gradients gradient norm per layer over the steps (log scale), one panel per run
    boundary  the decision boundary of a model with two input features
    embedding a Siamese net's 2-D embeddings of the test samples, coloured by class
    confusion the confusion matrix as a picture
    images    rows of images: training batches before / after their transforms, inputs / reconstructions
    sweep     a sweep's optimization history and each parameter against the metric
"""
from .backend import PlotError, pyplot
from .runs import Run, read_run
from .curves import plot_curves
from .gradients import plot_gradients
from .boundary import plot_boundary
from .embedding import plot_embedding
from .confusion import plot_confusion
from .images import plot_image_rows
from .sweep import plot_sweep
