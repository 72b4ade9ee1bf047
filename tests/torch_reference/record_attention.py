"""Record torch.nn.MultiheadAttention and torch.nn.TransformerEncoderLayer numbers for
tests/test_attention_torch_reference.py.

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_attention.py

For each case, float64 parameters U(-0.5, 0.5), inputs and an upstream gradient R are drawn
from numpy (seeded); torch runs forward (batch_first=True, dropout 0, training mode), then
backward of L = Σ Y ⊙ R. Written to tests/data/torch_attention_reference.npz as
'<case>/<name>': torch's own parameter names and orientation (the test transposes Linear
weights to kubik's XW), inputs 'X' (self-attention) or 'Q', 'K', 'V' (cross-attention),
'key_padding_mask' (bool, True = ignore) where the case has one, 'R', the output 'Y',
'grad/<input>' and 'grad/<parameter>'.
"""
import pathlib

import numpy as np
import torch

N, T, S = 3, 6, 4
ATTENTION = {   # name: (embed_dim, heads, cross, causal, key padding)
    "self_1head": (8, 1, False, False, False),
    "self_2heads_padding": (8, 2, False, False, True),
    "self_3heads_causal": (12, 3, False, True, False),
    "self_4heads_causal_padding": (8, 4, False, True, True),
    "cross_2heads": (8, 2, True, False, False),
    "cross_4heads_padding": (8, 4, True, False, True),
    "cross_1head_causal": (6, 1, True, True, False),
}
TRANSFORMER = {   # name: (d_model, nhead, dim_feedforward, activation, norm_first, causal, key padding)
    "post_relu": (8, 2, 16, "relu", False, False, False),
    "post_gelu": (8, 4, 12, "gelu", False, False, True),
    "pre_relu": (8, 2, 16, "relu", True, False, False),
    "pre_gelu_causal": (12, 3, 20, "gelu", True, True, False),
    "post_relu_causal_padding": (8, 1, 10, "relu", False, True, True),
}
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_attention_reference.npz"


def _params(arrays, case, net, rng):
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape))))
            arrays[f"{case}/{name}"] = p.detach().numpy().copy()


def _padding(rng, keys):
    mask = np.zeros((N, keys), bool)
    mask[1, -2:] = True
    mask[2, -1] = True
    return mask


def _finish(arrays, case, net, Y, R, inputs):
    (Y * torch.from_numpy(R)).sum().backward()
    arrays[f"{case}/R"], arrays[f"{case}/Y"] = R, Y.detach().numpy()
    for name, x in inputs.items():
        arrays[f"{case}/{name}"] = x.detach().numpy()
        arrays[f"{case}/grad/{name}"] = x.grad.numpy()
    for name, p in net.named_parameters():
        arrays[f"{case}/grad/{name}"] = p.grad.numpy().copy()


def record():
    torch.set_default_dtype(torch.float64)
    arrays = {}
    for i, (case, (E, h, cross, causal, padded)) in enumerate(ATTENTION.items()):
        rng = np.random.default_rng(500 + i)
        net = torch.nn.MultiheadAttention(E, h, batch_first=True)
        _params(arrays, case, net, rng)
        keys = S if cross else T
        inputs = {n: torch.from_numpy(rng.standard_normal((N, T if n in "QX" else keys, E))).requires_grad_()
                  for n in (("Q", "K", "V") if cross else ("X",))}
        q, k, v = (inputs["Q"], inputs["K"], inputs["V"]) if cross else (inputs["X"],) * 3
        kw = {}
        if padded:
            kw["key_padding_mask"] = torch.from_numpy(_padding(rng, keys))
            arrays[f"{case}/key_padding_mask"] = kw["key_padding_mask"].numpy()
        if causal:
            kw["attn_mask"] = torch.triu(torch.ones(T, keys, dtype=torch.bool), 1)
        Y, _ = net(q, k, v, need_weights=False, **kw)
        _finish(arrays, case, net, Y, rng.standard_normal((N, T, E)), inputs)
    for i, (case, (E, h, F, act, norm_first, causal, padded)) in enumerate(TRANSFORMER.items()):
        rng = np.random.default_rng(600 + i)
        net = torch.nn.TransformerEncoderLayer(E, h, F, dropout=0.0, activation=act, norm_first=norm_first,
                                               batch_first=True)
        net.train()                                      # the slow path: PyTorch's reference computation
        _params(arrays, case, net, rng)
        X = torch.from_numpy(rng.standard_normal((N, T, E))).requires_grad_()
        kw = {}
        if padded:
            kw["src_key_padding_mask"] = torch.from_numpy(_padding(rng, T))
            arrays[f"{case}/key_padding_mask"] = kw["src_key_padding_mask"].numpy()
        if causal:
            kw["src_mask"], kw["is_causal"] = torch.triu(torch.ones(T, T, dtype=torch.bool), 1), True
        Y = net(X, **kw)
        _finish(arrays, case, net, Y, rng.standard_normal((N, T, E)), {"X": X})
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays for {len(ATTENTION) + len(TRANSFORMER)} cases to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    record()
