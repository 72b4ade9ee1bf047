"""kubik losses: the Loss contract, the loss registry and the losses."""
from .loss import LOSSES, Loss, register
from .mse import MSE
from .cross_entropy import NLL, CrossEntropy
from .binary import BCE, BCEWithLogits
from .gradcheck import gradcheck_loss
from .ctc import CTC
from .ctc_decode import ctc_beam_search, ctc_greedy_decode
