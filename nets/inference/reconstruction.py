"""How well a net that reproduces its input (``data.target: input``) does, next to
the linear baseline with the same code size (``kubik eval`` of such a run):

    reconstruction_mse(outputs, X)     mean squared error per element
    pca_mse(X_train, X, k)             PCA with k components fitted on X_train (the training
                                       split's mean and top-k principal directions), applied to X
    code_size(rows)                    the elements of the narrowest layer output: the code

PCA is the best any linear code of k numbers can do in squared error (Eckart-Young),
so an autoencoder with a code of k numbers earns its nonlinearity only below
PCA's error at k. Computed from the (d, d) covariance of the training split
(d = pixels per sample), in float64.
"""
import numpy as np


def reconstruction_mse(outputs, X):
    """Mean over every element of (outputs − X)², in float64."""
    diff = np.asarray(outputs, np.float64).reshape(len(X), -1) - np.asarray(X, np.float64).reshape(len(X), -1)
    return float(np.einsum("ij,ij->", diff, diff) / diff.size)


def pca_mse(X_train, X, k):
    """MSE of X projected on the top-k principal directions of X_train (k = 0: the mean image)."""
    A = np.asarray(X_train, np.float64).reshape(len(X_train), -1)
    B = np.asarray(X, np.float64).reshape(len(X), -1)
    mean = A.mean(0)
    A = A - mean
    k = int(min(max(k, 0), A.shape[1]))
    _, vectors = np.linalg.eigh(A.T @ A)
    V = vectors[:, A.shape[1] - k:]                      # eigh sorts ascending: the last k are the top k
    centred = B - mean
    return reconstruction_mse(centred @ V @ V.T, centred)


def code_size(rows):
    """The number of elements of the smallest per-sample output among the summary ``rows``."""
    return min(int(np.prod(r.output_shape)) for r in rows)
