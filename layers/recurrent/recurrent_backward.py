"""Backpropagation through time for RNN, LSTM and GRU: the layer-and-direction
driver around each cell's reverse walk (``_unrun``), as the mixin
``RecurrentBackward`` of ``recurrent.Recurrent`` (which documents the math).

Layers are visited last to first; for each direction the cell returns dXP
(gradients of the input projections, all steps) and dHP (of the hidden
projections), and three GEMMs over all T·N rows finish the job:

    dWᵢₕ += Xᵀ dXP,   dWₕₕ += H₋₁ᵀ dHP,   dX = dXP Wᵢₕᵀ   (+ 1ᵀ dXP, 1ᵀ dHP for the biases)

The dropout mask between layers is applied to the gradient on the way down.
"""
import numpy as np

from ..runtime.scratch import recycled


class RecurrentBackward:
    def backward(self, G):
        """dX for G = dL/dY (N, T, D·H); parameter gradients accumulate; sets grad_h0 (grad_c0)."""
        layers_cache = self._cached("_layers")
        N, T = layers_cache[0][0].shape[1], layers_cache[0][0].shape[0]
        H, D = self.hidden_size, self.num_directions
        if G.shape != (N, T, D * H):
            raise ValueError(f"{self!r}: grad_Y has shape {G.shape}, expected {(N, T, D * H)}")
        dtype = layers_cache[0][0].dtype
        dOut = G.transpose(1, 0, 2)
        grad_h0 = np.zeros((self.num_layers * D, N, H), dtype)
        grad_c0 = np.zeros_like(grad_h0) if self.HAS_CELL else None
        dIn = None
        for layer in reversed(range(self.num_layers)):
            inp, dirs, mask = layers_cache[layer]
            if mask is not None:
                dOut = dOut * mask
            need_dx = layer > 0 or self.propagate_down
            dIn = np.zeros(inp.shape, dtype) if need_dx else None
            inp2 = inp.reshape(T * N, inp.shape[2])
            for d, (Hs, cache) in enumerate(dirs):
                idx = layer * D + d
                Wih, Whh, bih, bhh = self._weights[idx]
                dXP = recycled(self, f"dXP{idx}", dtype, shape=(T, N, self.GATES * H))
                dHP = self._unrun(cache, Hs, dOut[..., d * H:(d + 1) * H], Whh.data, dXP, bool(d), grad_h0, grad_c0, idx)
                dXP2, dHP2 = dXP.reshape(T * N, dXP.shape[2]), dHP.reshape(T * N, dHP.shape[2])
                Hprev = (Hs[1:] if d else Hs[:-1]).reshape(T * N, H)
                Wih.accumulate_matmul(inp2.T, dXP2)
                Whh.accumulate_matmul(Hprev.T, dHP2)
                if bih is not None:
                    ones = np.ones(T * N, dtype)
                    bih.accumulate_matmul(ones, dXP2)
                    bhh.accumulate_matmul(ones, dHP2)
                if need_dx:
                    dIn.reshape(T * N, inp.shape[2])[...] += dXP2 @ Wih.data.T
            dOut = dIn
        self.grad_h0, self.grad_c0 = grad_h0, grad_c0
        return None if dIn is None else np.ascontiguousarray(dIn.transpose(1, 0, 2))
