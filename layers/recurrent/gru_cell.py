"""One step of a gated recurrent unit (PyTorch's nn.GRUCell), gate order r, z, n."""
import numpy as np

from ..core.registry import register
from .cell import Cell, sigmoid


@register
class GRUCell(Cell):
    """With XP = X Wᵢₕ + bᵢₕ and HP = H Wₕₕ + bₕₕ split into r, z, n blocks:

        r = σ(XP_r + HP_r),  z = σ(XP_z + HP_z),  n = tanh(XP_n + r ⊙ HP_n)
        H' = (1 − z) ⊙ n + z ⊙ H

    ``forward(X, H)`` -> H'; ``backward(dH')`` -> (dX, dH). With dn = dH' ⊙ (1 − z) ⊙ (1 − n²):

        dXP = [dr ⊙ r(1 − r), dz ⊙ z(1 − z), dn],  dHP = [same r, same z, dn ⊙ r]
        dr = dn ⊙ HP_n,  dz = dH' ⊙ (H − n),  dH = dHP Wₕₕᵀ + dH' ⊙ z
    """

    GATES = 3

    def _step(self, XP, HP, states):
        (H,) = states
        h = self.hidden_size
        r = sigmoid(XP[:, :h] + HP[:, :h])
        z = sigmoid(XP[:, h:2 * h] + HP[:, h:2 * h])
        n = np.tanh(XP[:, 2 * h:] + r * HP[:, 2 * h:])
        Hn = n + z * (H - n)
        return Hn, (r, z, n, HP[:, 2 * h:], H)

    def _unstep(self, grads, cache):
        (G,) = grads
        r, z, n, hpn, H = cache
        dn = G * (1 - z) * (1 - n * n)
        dr = dn * hpn * r * (1 - r)
        dz = G * (H - n) * z * (1 - z)
        dXP = np.concatenate([dr, dz, dn], axis=1)
        dHP = np.concatenate([dr, dz, dn * r], axis=1)
        return dXP, dHP, (G * z,)
