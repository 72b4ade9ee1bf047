"""kubik optim: the Optimizer base, the optimizers, learning-rate schedules,
gradient clipping and accumulation."""
from .optimizer import OPTIMIZERS, Optimizer, register
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop
from .lbfgs import LBFGS
from .groups import param_groups_no_decay
from .clip import clip_grad_norm, clip_grad_value
from .accumulate import GradientAccumulator

from .schedule import SCHEDULES, Schedule, build_schedule
from .schedule import register as register_schedule
from .step_schedules import ExponentialLR, MultiStepLR, StepLR
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .warmup import LinearWarmup
from .plateau import ReduceLROnPlateau
from .caffe_schedules import InvLR, PolyLR
