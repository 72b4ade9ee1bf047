"""Using a trained model.

    model            kubik.load(path) -> Model: predict, predict_proba, transform
    preprocessing    what checkpoints store to use a model: input shape, scaling, task, class names
    predict_inputs   the inputs ``kubik predict`` reads (CSV, .npz, IDX, text)
    report           confusion matrix and classification report (``kubik eval --report``)
    reconstruction   reconstruction MSE, PCA's with the same code size (``kubik eval`` of an autoencoder)
"""
from .model import Model, load
from .report import classification_report, confusion_matrix
from .reconstruction import code_size, pca_mse, reconstruction_mse
