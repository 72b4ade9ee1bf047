"""Record torch.nn.RNNCell / GRUCell / LSTMCell numbers for tests/test_cells_torch_reference.py.

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_cells.py

For each case, float64 parameters U(-0.6, 0.6), inputs X (N, F), states and upstream
gradients are drawn from numpy (seeded). One-step cases run the cell once and backward
of L = Σ H' ⊙ R (+ Σ C' ⊙ RC for LSTMCell). Loop cases ('..._loop') run the same cell
over the T steps of X (N, T, F), H feeding back, and backward of L = Σ_t H_t ⊙ R[:, t].
Written to tests/data/torch_cells_reference.npz as '<case>/<name>': torch's parameter
names and orientation (the test transposes weights to kubik's XW), 'X', 'H', 'C', 'R',
'RC', outputs 'H1' ('C1'), 'grad/X', 'grad/H', 'grad/C' and 'grad/<parameter>'.
"""
import pathlib

import numpy as np
import torch

N, F, H, T = 3, 4, 5, 4
CASES = {   # name: (torch class, kwargs, loop)
    "rnn_tanh": ("RNNCell", {}, False),
    "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}, False),
    "gru": ("GRUCell", {}, False),
    "lstm": ("LSTMCell", {}, False),
    "lstm_no_bias": ("LSTMCell", {"bias": False}, False),
    "gru_loop": ("GRUCell", {}, True),
    "lstm_loop": ("LSTMCell", {}, True),
}
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_cells_reference.npz"


def record():
    torch.set_default_dtype(torch.float64)
    arrays = {}
    for i, (case, (kind, kwargs, loop)) in enumerate(CASES.items()):
        rng = np.random.default_rng(700 + i)
        cell = getattr(torch.nn, kind)(F, H, **kwargs)
        with torch.no_grad():
            for name, p in cell.named_parameters():
                p.copy_(torch.from_numpy(rng.uniform(-0.6, 0.6, tuple(p.shape))))
                arrays[f"{case}/{name}"] = p.detach().numpy().copy()
        lstm = kind == "LSTMCell"
        X = torch.from_numpy(rng.standard_normal((N, T, F) if loop else (N, F))).requires_grad_()
        h = torch.from_numpy(rng.standard_normal((N, H))).requires_grad_()
        c = torch.from_numpy(rng.standard_normal((N, H))).requires_grad_()
        R = rng.standard_normal((N, T, H) if loop else (N, H))
        RC = rng.standard_normal((N, H))
        if loop:
            hs, state = [], (h, c) if lstm else h
            for t in range(T):
                state = cell(X[:, t], state)
                hs.append(state[0] if lstm else state)
            out = torch.stack(hs, 1)
            loss = (out * torch.from_numpy(R)).sum()
            arrays[f"{case}/H1"] = out.detach().numpy()
        else:
            out = cell(X, (h, c) if lstm else h)
            H1 = out[0] if lstm else out
            loss = (H1 * torch.from_numpy(R)).sum()
            arrays[f"{case}/H1"] = H1.detach().numpy()
            if lstm:
                loss = loss + (out[1] * torch.from_numpy(RC)).sum()
                arrays[f"{case}/C1"] = out[1].detach().numpy()
        loss.backward()
        arrays.update({f"{case}/X": X.detach().numpy(), f"{case}/H": h.detach().numpy(), f"{case}/R": R,
                       f"{case}/grad/X": X.grad.numpy(), f"{case}/grad/H": h.grad.numpy()})
        if lstm:
            arrays.update({f"{case}/C": c.detach().numpy(), f"{case}/RC": RC, f"{case}/grad/C": c.grad.numpy()})
        for name, p in cell.named_parameters():
            arrays[f"{case}/grad/{name}"] = p.grad.numpy().copy()
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays for {len(CASES)} cases to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    record()
