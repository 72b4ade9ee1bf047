"""kubik optim: the Optimizer base, the optimizers, learning-rate schedules."""
from .optimizer import OPTIMIZERS, Optimizer, register
from .sgd import SGD
