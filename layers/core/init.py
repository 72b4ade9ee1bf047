"""Weight initializations by PyTorch's names (torch.nn.init), for Linear and Conv2d.

fan_in / fan_out as PyTorch computes them: Linear's weight (in, out) has
fan_in = in_features, fan_out = out_features; Conv2d's (O, C/groups, kh, kw)
has fan_in = C/groups·kh·kw, fan_out = O·kh·kw.

    default          W ~ U(−k, k),  k = 1/√fan_in   (PyTorch's layer default)
    kaiming_uniform  W ~ U(−b, b),  b = √(6/fan_in)             (He, ReLU gain √2)
    kaiming_normal   W ~ N(0, σ²),  σ = √(2/fan_in)
    xavier_uniform   W ~ U(−b, b),  b = √(6/(fan_in + fan_out))  (Glorot, gain 1)
    xavier_normal    W ~ N(0, σ²),  σ = √(2/(fan_in + fan_out))

Only the weight follows ``init``; the bias keeps the default U(−1/√fan_in, 1/√fan_in),
as when PyTorch users call ``torch.nn.init.kaiming_normal_(layer.weight)``.
"""
import math

INITS = ("default", "kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal")


def check_init(layer, init):
    """``init``, or a ValueError naming the layer and the known names."""
    if init not in INITS:
        raise ValueError(f"{layer}: init must be one of {', '.join(INITS)}, got {init!r}")
    return init


def init_weight(init, shape, fan_in, fan_out, rng, dtype):
    """An array of ``shape`` drawn from ``rng`` by the rule ``init`` (see the module doc)."""
    if init == "default" or init == "kaiming_uniform" or init == "xavier_uniform":
        bound = {"default": 1.0 / math.sqrt(fan_in), "kaiming_uniform": math.sqrt(6.0 / fan_in),
                 "xavier_uniform": math.sqrt(6.0 / (fan_in + fan_out))}[init]
        return rng.uniform(-bound, bound, shape).astype(dtype)
    std = math.sqrt(2.0 / fan_in) if init == "kaiming_normal" else math.sqrt(2.0 / (fan_in + fan_out))
    return (rng.standard_normal(shape) * std).astype(dtype)
