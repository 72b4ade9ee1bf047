"""One step of a long short-term memory (PyTorch's nn.LSTMCell), gate order i, f, g, o."""
import numpy as np

from ..core.registry import register
from .cell import Cell, sigmoid


@register
class LSTMCell(Cell):
    """With a = X Wᵢₕ + bᵢₕ + H Wₕₕ + bₕₕ split into i, f, g, o blocks:

        i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
        C' = f ⊙ C + i ⊙ g,   H' = o ⊙ tanh C'

    Two inputs of state and two outputs: ``forward(X, H, C)`` -> (H', C');
    ``backward(dH', dC')`` -> (dX, dH, dC). With dc = dC' + dH' ⊙ o ⊙ (1 − tanh² C'):

        da = [dc ⊙ g ⊙ i(1 − i), dc ⊙ C ⊙ f(1 − f), dc ⊙ i ⊙ (1 − g²), dH' ⊙ tanh C' ⊙ o(1 − o)]
        dXP = dHP = da,  dC = dc ⊙ f
    """

    GATES = 4
    STATES = 2
    num_outputs = 2

    def _step(self, XP, HP, states):
        H, C = states
        h = self.hidden_size
        a = XP
        a += HP
        i, f, o = sigmoid(a[:, :h]), sigmoid(a[:, h:2 * h]), sigmoid(a[:, 3 * h:])
        g = np.tanh(a[:, 2 * h:3 * h])
        Cn = f * C + i * g
        tc = np.tanh(Cn)
        return (o * tc, Cn), (i, f, g, o, tc, C)

    def _unstep(self, grads, cache):
        dHn, dCn = grads
        i, f, g, o, tc, C = cache
        dc = dCn + dHn * o * (1 - tc * tc)
        da = np.concatenate([dc * g * i * (1 - i), dc * C * f * (1 - f), dc * i * (1 - g * g),
                             dHn * tc * o * (1 - o)], axis=1)
        return da, da, (None, dc * f)
