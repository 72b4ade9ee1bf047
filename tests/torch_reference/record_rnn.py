"""Record torch.nn.RNN / LSTM / GRU numbers for tests/test_recurrent_torch_reference.py.

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_rnn.py

For each case, float64 weights, inputs, initial states and an upstream gradient R
are drawn from numpy (seeded); torch runs forward, then backward of L = Σ Y ⊙ R,
and everything is written to tests/data/torch_rnn_reference.npz as
'<case>/<name>' arrays: torch's own parameter names and orientation (the test
transposes to kubik's XW), 'X', 'h0', 'c0', 'R', outputs 'Y', 'h_n', 'c_n' and
gradients 'grad/<parameter>', 'grad/X', 'grad/h0', 'grad/c0'.
"""
import pathlib

import numpy as np
import torch

CASES = {   # name: (torch class, kwargs)
    "rnn_tanh": ("RNN", {}),
    "rnn_relu_2layers": ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    "lstm": ("LSTM", {}),
    "lstm_2layers_bidirectional": ("LSTM", {"num_layers": 2, "bidirectional": True}),
    "gru": ("GRU", {}),
    "gru_2layers_bidirectional": ("GRU", {"num_layers": 2, "bidirectional": True}),
}
N, T, F, H = 2, 5, 3, 4
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_rnn_reference.npz"


def record():
    torch.set_default_dtype(torch.float64)
    arrays = {}
    for i, (case, (kind, kwargs)) in enumerate(CASES.items()):
        rng = np.random.default_rng(100 + i)
        net = getattr(torch.nn, kind)(F, H, batch_first=True, **kwargs)
        D = 2 if kwargs.get("bidirectional") else 1
        L = kwargs.get("num_layers", 1)
        with torch.no_grad():
            for name, p in net.named_parameters():
                p.copy_(torch.from_numpy(rng.uniform(-0.6, 0.6, tuple(p.shape))))
                arrays[f"{case}/{name}"] = p.detach().numpy().copy()
        X = torch.from_numpy(rng.standard_normal((N, T, F))).requires_grad_()
        h0 = torch.from_numpy(rng.standard_normal((L * D, N, H)) * 0.5).requires_grad_()
        state = h0
        if kind == "LSTM":
            c0 = torch.from_numpy(rng.standard_normal((L * D, N, H)) * 0.5).requires_grad_()
            state = (h0, c0)
        R = rng.standard_normal((N, T, D * H))
        Y, final = net(X, state)
        (Y * torch.from_numpy(R)).sum().backward()
        arrays.update({f"{case}/X": X.detach().numpy(), f"{case}/h0": h0.detach().numpy(), f"{case}/R": R,
                       f"{case}/Y": Y.detach().numpy(), f"{case}/grad/X": X.grad.numpy(),
                       f"{case}/grad/h0": h0.grad.numpy()})
        if kind == "LSTM":
            arrays.update({f"{case}/c0": c0.detach().numpy(), f"{case}/h_n": final[0].detach().numpy(),
                           f"{case}/c_n": final[1].detach().numpy(), f"{case}/grad/c0": c0.grad.numpy()})
        else:
            arrays[f"{case}/h_n"] = final.detach().numpy()
        for name, p in net.named_parameters():
            arrays[f"{case}/grad/{name}"] = p.grad.numpy().copy()
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays for {len(CASES)} cases to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    record()
