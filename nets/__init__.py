"""kubik nets: containers, building nets from configs, training, checkpoints,
data sets and the ``kubik`` command line.

    sequential, containers   Sequential, Residual, Concat
    config/                  YAML configs: schema, loading with line numbers, --set, ConfigError
    datasets/                bundled, synthetic and file data sets; splits and scaling
    builders/, build         model (shape inference), loss, optimizer, schedule -> Experiment
    trainer/                 the resumable training loop (Trainer, Callback, TensorBoard), evaluate, predict
    dataloader, fit          DataLoader (seeded, resumable mini-batches); fit: train from Python
    checkpoint/              atomic, pickle-free .npz checkpoints
    cli/                     the ``kubik`` command; gradcheck_all: ``kubik gradcheck``
    imports                  the user's modules (config ``imports:``, ``--import``)
    preprocessing, model     what checkpoints store to use a model; ``load`` -> Model
    diagnostics/             per-layer gradient / weight / activation statistics (train.monitor)
    report                   confusion matrix and classification report (``kubik eval --report``)
    plot/                    PNGs of runs (``kubik plot``; matplotlib, an optional extra, imported on use)
    distributed/             data-parallel training over MPI; SyncBatchNorm, DistributedOptimizer
"""
from .sequential import Sequential
from .containers import Concat, Residual
from .config import ConfigError
from .config import load as load_config
from .build import build as build_experiment
from .build import summary_table
from .builders.summary import summary
from .datasets import DATASETS
from .trainer import Trainer, evaluate
from .dataloader import DataLoader
from .fit import fit
from .trainer import Callback, Diverged, History, TensorBoard, predict
from .model import Model, load
from .diagnostics import Diagnostics
from .report import classification_report, confusion_matrix
from . import distributed
from .distributed import DistributedOptimizer, SyncBatchNorm
from .spec import from_spec
