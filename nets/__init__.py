"""kubik nets: containers, building nets from configs, training, checkpoints,
data sets and the ``kubik`` command line."""
from .sequential import Sequential
from .containers import Concat, Residual
from .config import ConfigError
from .config import load as load_config
from .build import build as build_experiment
from .build import summary_table
from .datasets import DATASETS
from .trainer import Trainer, evaluate
