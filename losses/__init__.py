"""kubik losses: the Loss contract, the loss registry and the losses."""
from .loss import LOSSES, REDUCTIONS, Loss, register
from .mse import MSE
from .l1 import L1
from .smooth_l1 import Huber, SmoothL1
from .cross_entropy import NLL, CrossEntropy
from .binary import BCE, BCEWithLogits
from .kl_div import KLDiv
from .poisson_nll import PoissonNLL
from .gaussian_nll import GaussianNLL
from .margin_ranking import MarginRanking
from .cosine_embedding import CosineEmbedding
from .triplet_margin import TripletMargin
from .contrastive import Contrastive
from .multi_margin import MultiMargin
from .gradcheck import gradcheck_loss
from .ctc import CTC
from .ctc_decode import ctc_beam_search, ctc_greedy_decode
from . import testing  # noqa: E402  (check_loss: the conformance check for your own losses)
from .testing import LossCheckError, check_loss
