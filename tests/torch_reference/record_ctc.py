"""Record torch.nn.CTCLoss numbers for tests/test_ctc_torch_reference.py.

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_ctc.py

Each case draws float64 logits from numpy (seeded), takes log_softmax, and runs
torch.nn.CTCLoss on the time-first transpose (T, N, C); the upstream gradient is 1
for 'mean'/'sum' and a drawn vector R for 'none' (L = Σ_n loss_n R_n). Written to
tests/data/torch_ctc_reference.npz as '<case>/<name>': 'log_probs' (N, T, C) batch
first, 'targets' (N, S) padded, 'input_lengths', 'target_lengths', 'R', the value
'loss' and 'grad' (N, T, C) batch first; '<case>/options' holds blank, zero_infinity
and the reduction's index in REDUCTIONS.
"""
import pathlib

import numpy as np
import torch

REDUCTIONS = ("mean", "sum", "none")
CASES = {   # name: (N, T, C, S, blank, reduction, zero_infinity, options)
    "mean_blank0": (4, 12, 6, 4, 0, "mean", False, {}),
    "sum_blank0": (4, 12, 6, 4, 0, "sum", False, {}),
    "none_blank0": (4, 12, 6, 4, 0, "none", False, {}),
    "mean_blank_last": (3, 10, 5, 3, 4, "mean", False, {}),
    "sum_blank_middle": (3, 10, 5, 3, 2, "sum", False, {}),
    "repeated_labels": (3, 9, 4, 4, 0, "mean", False, {"repeat": True}),
    "ragged_lengths": (5, 15, 7, 5, 0, "mean", False, {"ragged": True}),
    "zero_infinity_mean": (4, 6, 5, 4, 0, "mean", True, {"impossible": True}),
    "zero_infinity_none": (4, 6, 5, 4, 1, "none", True, {"impossible": True}),
    "long_T200": (2, 200, 8, 30, 0, "sum", False, {"confident": True}),
    "empty_target": (3, 5, 4, 2, 0, "mean", False, {"empty": True}),
    "T1": (3, 1, 4, 1, 0, "none", True, {"t1": True}),
}
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_ctc_reference.npz"


def draw(rng, N, T, C, S, blank, opts):
    scale = 4.0 if opts.get("confident") else 1.0
    logits = rng.standard_normal((N, T, C)) * scale
    labels = np.array([c for c in range(C) if c != blank])
    targets = rng.choice(labels, (N, S))
    if opts.get("repeat"):
        targets[:, 1] = targets[:, 0]
        targets[0] = targets[0, 0]                      # every label the same
    input_lengths = np.full(N, T)
    target_lengths = np.full(N, S)
    if opts.get("ragged"):
        input_lengths = rng.integers(S * 2, T + 1, N)
        target_lengths = rng.integers(1, S + 1, N)
    if opts.get("impossible"):
        input_lengths[1] = 2                              # 4 labels cannot fit into 2 steps
        target_lengths[2] = 3
    if opts.get("empty"):
        target_lengths[1] = 0
    if opts.get("t1"):
        targets[2, 0] = targets[1, 0]
        target_lengths[:] = [1, 0, 1]
    for n in range(N):                                    # padding: the blank, after each sequence
        targets[n, target_lengths[n]:] = blank
    return logits, targets, input_lengths, target_lengths


def record():
    arrays = {}
    for i, (case, (N, T, C, S, blank, reduction, zero_inf, opts)) in enumerate(CASES.items()):
        rng = np.random.default_rng(300 + i)
        logits, targets, input_lengths, target_lengths = draw(rng, N, T, C, S, blank, opts)
        lp = torch.from_numpy(logits).log_softmax(2)
        x = lp.detach().transpose(0, 1).contiguous().requires_grad_()       # (T, N, C)
        loss = torch.nn.CTCLoss(blank=blank, reduction=reduction, zero_infinity=zero_inf)(
            x, torch.from_numpy(targets), torch.from_numpy(input_lengths), torch.from_numpy(target_lengths))
        R = rng.standard_normal(N)
        (loss * torch.from_numpy(R)).sum().backward() if reduction == "none" else loss.backward()
        arrays.update({f"{case}/log_probs": lp.detach().numpy(), f"{case}/targets": targets,
                       f"{case}/input_lengths": input_lengths, f"{case}/target_lengths": target_lengths,
                       f"{case}/R": R, f"{case}/loss": loss.detach().numpy(),
                       f"{case}/grad": x.grad.transpose(0, 1).numpy(),
                       f"{case}/options": np.array([blank, int(zero_inf), REDUCTIONS.index(reduction)])})
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays for {len(CASES)} cases to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    record()
