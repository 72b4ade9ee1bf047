"""kubik nets: containers, building nets from configs, training, checkpoints,
data sets and the ``kubik`` command line."""
from .sequential import Sequential
