"""kubik nets: containers, building nets from configs, training, checkpoints,
data sets and the ``kubik`` command line.

    containers/              Sequential, Residual, Concat, Graph; a container as a config entry
    config/                  YAML configs: schema, loading with line numbers, --set, ConfigError
    datasets/                bundled, synthetic and file data sets (CIFAR-10's binary batches too); splits, scaling
    augment/                 transforms of training batches (RandomCrop, RandomFlip, ...; data.augment)
    builders/, build         model (shape inference), loss, optimizer, schedule -> Experiment; from_spec
    trainer/                 the resumable training loop (Trainer, Callback, TensorBoard), evaluate, predict, DataLoader
    trainer/fit              fit: train from Python; python_run, python_resume: what its checkpoints record
    inference/               ``load`` -> Model, preprocessing, predict inputs; report: confusion matrix
    checkpoint/              atomic, pickle-free .npz checkpoints
    cli/                     the ``kubik`` command; gradcheck_all: ``kubik gradcheck``
    imports                  the user's modules (config ``imports:``, ``--import``)
    diagnostics/             per-layer gradient / weight / activation statistics (train.monitor)
    onnx_export/             ``kubik export``: a trained net as an ONNX graph (onnx, an optional extra)
    plot/                    PNGs of runs (``kubik plot``; matplotlib, an optional extra, imported on use)
    distributed/             data-parallel training over MPI; SyncBatchNorm, DistributedOptimizer
    sweep/                   ``kubik sweep``: hyperparameter sweeps on Optuna (an optional extra, imported on use)
"""
from .containers import Sequential
from .containers import Concat, Residual
from .containers import Graph, GraphError
from .config import ConfigError
from .config import load as load_config
from .build import build as build_experiment
from .build import summary_table
from .builders.summary import summary
from .datasets import DATASETS
from .datasets.inputs import Inputs
from . import augment
from .augment import TRANSFORMS
from .trainer import Trainer, evaluate
from .trainer.dataloader import DataLoader
from .trainer.fit import fit
from .trainer.output_losses import OutputLosses
from .trainer import Callback, Diverged, History, TensorBoard, predict
from .inference import Model, load
from .diagnostics import Diagnostics
from .inference import classification_report, confusion_matrix
from . import distributed
from .distributed import DistributedOptimizer, SyncBatchNorm
from .builders import from_spec
