"""Converters of RNN, LSTM and GRU: one ONNX RNN / LSTM / GRU node per
stacked layer, ``direction="bidirectional"`` for two directions.

kubik is batch first, (N, T, F); onnxruntime runs these operators only
time-major (``layout=0``), so the input is transposed to (T, N, F) once, each
node's output Y (T, D, N, H) becomes the next node's (T, N, D·H) input
(Transpose + Reshape), and the last one is transposed straight to
(N, T, D·H), forward features first, as the layer gives them.

Weights: kubik stores Wᵢₕ (in, G·H) and Wₕₕ (H, G·H) in XW orientation with
PyTorch's gate blocks; ONNX wants W (D, G·H, in), R (D, G·H, H) and B
(D, 2·G·H) = [Wb, Rb] with its own gate order, so each is transposed and its
gate blocks permuted:

    LSTM  i, f, g, o  ->  i, o, f, c        GRU  r, z, n  ->  z, r, h

GRU uses ``linear_before_reset=1``: PyTorch's (and kubik's) b_hn sits inside
the reset product, rₜ ⊙ (hₜ₋₁ Wₕₙ + bₕₙ). Dropout between layers is a
training-only op and is not exported (the net is exported in eval mode).

Initial states: the graph starts from zeros, as the layers do by default. A
layer with ``h0`` / ``c0`` set (``set_initial_state``) is refused with a
one-line error: those arrays are per batch (num_layers·D, N, H) and the
graph's batch size is free.
"""
import numpy as np

from ...layers import GRU, LSTM, RNN

from .graph import converts

GATE_ORDER = {"RNN": [0], "LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2]}


def _onnx_gates(W, order, H):
    """(rows, G·H) in kubik's XW orientation -> (G·H, rows), gate blocks in ONNX order."""
    return np.concatenate([W[:, k * H:(k + 1) * H] for k in order], axis=1).T


def _weights(layer, k, order):
    """W, R, B of stacked layer ``k``, both directions stacked on axis 0; B None without biases."""
    H, D = layer.hidden_size, layer.num_directions
    Ws, Rs, Bs = [], [], []
    for d in range(D):
        Wih, Whh, bih, bhh = layer._weights[k * D + d]
        Ws.append(_onnx_gates(Wih.data, order, H))
        Rs.append(_onnx_gates(Whh.data, order, H))
        if bih is not None:
            Bs.append(np.concatenate([_onnx_gates(b.data[None, :], order, H)[:, 0] for b in (bih, bhh)]))
    return np.stack(Ws), np.stack(Rs), (np.stack(Bs) if Bs else None)


def _attrs(layer, kind):
    D = layer.num_directions
    attrs = {"hidden_size": layer.hidden_size, "direction": "bidirectional" if D == 2 else "forward"}
    if kind == "RNN":
        attrs["activations"] = [layer.nonlinearity.capitalize()] * D    # Tanh | Relu
    elif kind == "GRU":
        attrs["linear_before_reset"] = 1
    return attrs


@converts(RNN, LSTM, GRU)
def recurrent(g, layer, x, shape, where):
    kind = "LSTM" if isinstance(layer, LSTM) else "GRU" if isinstance(layer, GRU) else "RNN"
    if layer.h0 is not None or getattr(layer, "c0", None) is not None:
        raise ValueError(f"{where}: {type(layer).__name__} has an initial state set (h0/c0 by set_initial_state, "
                         f"per batch of N); the exported graph starts from zeros: set_initial_state(None) to export")
    order, attrs = GATE_ORDER[kind], _attrs(layer, kind)
    y = g.op("Transpose", [x], "time_major", perm=[1, 0, 2])                # (N, T, F) -> (T, N, F)
    for k in range(layer.num_layers):
        W, R, B = _weights(layer, k, order)
        inputs = [y, g.const(W, f"W_l{k}"), g.const(R, f"R_l{k}")] + ([] if B is None else [g.const(B, f"B_l{k}")])
        y = g.op(kind, inputs, f"{kind.lower()}_l{k}", **attrs)                 # (T, D, N, H)
        last = k == layer.num_layers - 1
        y = g.op("Transpose", [y], perm=[2, 0, 1, 3] if last else [0, 2, 1, 3])  # (N, T, D, H) | (T, N, D, H)
        y = g.op("Reshape", [y, g.const([0, 0, -1], "shape", np.int64)])       # ... (·, ·, D·H)
    return y
