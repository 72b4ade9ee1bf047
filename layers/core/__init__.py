"""The contract every layer honours, and what a layer author needs around it.

    layer       Layer: forward / backward, parameters, children, train / eval, state_dict, astype
    parameter   Parameter: a value and its gradient (Caffe's Blob)
    registry    Registry, LAYERS, @register, the ``kubik.plugins`` entry points
    spec        a block as a config entry (``layer.spec()``); SpecError
    init        weight initializations by PyTorch's names (INITS, init_weight)
    random      the package-level generator (seed, get_rng)
    gradcheck   finite-difference gradient checks in float64
    sharing     layer.shared(): one layer used several times in one forward
    installation  which kubik is imported: a folder named 'kubik' that shadows the installed one
"""
from .parameter import Parameter
from .layer import Layer
from .spec import SpecError
from .registry import LAYERS, PLUGIN_GROUP, Registry, load_plugins, register
from .random import get_rng, seed
from .gradcheck import GradcheckError, GradcheckResult, gradcheck
from .init import INITS, init_weight
