"""Record torch.nn numbers for tests/test_vision_torch_reference.py: the vision
blocks of issue 26 (ConvTranspose2d/1d, Upsample, ZeroPad2d, GroupNorm, PReLU,
SiLU, Mish, Hardtanh, Dropout2d).

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_vision.py

For each case, float64 parameters, an input X and an upstream gradient R are
drawn from numpy (seeded); torch runs forward, then backward of L = Σ Y ⊙ R,
and everything goes to tests/data/torch_vision_reference.npz as '<case>/<name>'
arrays: 'X', 'R', 'Y', 'grad/X', the parameters under torch's names (same
layout as kubik's for all of these) and 'grad/<parameter>'. The cases
themselves (class name and keyword arguments) are stored as JSON text under
'cases', so the test builds the kubik layers from the file alone.
"""
import json
import pathlib

import numpy as np
import torch

CASES = {   # name: (class, kwargs, input shape)
    "convt2d_basic": ("ConvTranspose2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, (2, 3, 4, 5)),
    "convt2d_k4_s2_p1": ("ConvTranspose2d", {"in_channels": 4, "out_channels": 3, "kernel_size": 4, "stride": 2,
                                             "padding": 1}, (2, 4, 5, 5)),
    "convt2d_outpad_groups_dil": ("ConvTranspose2d", {"in_channels": 4, "out_channels": 6, "kernel_size": [3, 2],
                                                      "stride": [2, 3], "padding": [1, 0], "output_padding": [1, 2],
                                                      "groups": 2, "dilation": [2, 1]}, (2, 4, 3, 4)),
    "convt2d_outpad_beyond_stride": ("ConvTranspose2d", {"in_channels": 2, "out_channels": 2, "kernel_size": 3,
                                                         "output_padding": 1, "dilation": 2, "bias": False},
                                     (1, 2, 4, 3)),
    "convt2d_stride3_uncovered": ("ConvTranspose2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 2,
                                                      "stride": 3, "output_padding": 2}, (2, 2, 3, 2)),
    "convt1d_basic": ("ConvTranspose1d", {"in_channels": 3, "out_channels": 2, "kernel_size": 3}, (2, 3, 6)),
    "convt1d_stride_outpad_groups": ("ConvTranspose1d", {"in_channels": 4, "out_channels": 6, "kernel_size": 4,
                                                         "stride": 2, "padding": 1, "output_padding": 1,
                                                         "groups": 2}, (2, 4, 5)),
    "convt1d_dilation_nobias": ("ConvTranspose1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3,
                                                    "dilation": 3, "padding": 2, "bias": False}, (1, 2, 7)),
    "upsample_nearest_2x": ("Upsample", {"scale_factor": 2}, (2, 2, 3, 4)),
    "upsample_nearest_size": ("Upsample", {"size": [7, 5]}, (2, 2, 3, 4)),
    "upsample_nearest_fraction": ("Upsample", {"scale_factor": [1.5, 2.5]}, (1, 2, 5, 3)),
    "upsample_nearest_down": ("Upsample", {"scale_factor": 0.5}, (1, 2, 6, 5)),
    "upsample_nearest_1d": ("Upsample", {"size": 11}, (2, 3, 4)),
    "upsample_bilinear_2x": ("Upsample", {"scale_factor": 2, "mode": "bilinear"}, (2, 2, 3, 4)),
    "upsample_bilinear_align": ("Upsample", {"size": [7, 9], "mode": "bilinear", "align_corners": True}, (1, 2, 3, 4)),
    "upsample_bilinear_fraction": ("Upsample", {"scale_factor": [1.7, 0.6], "mode": "bilinear"}, (2, 1, 4, 5)),
    "upsample_bilinear_size_down": ("Upsample", {"size": [2, 3], "mode": "bilinear"}, (1, 2, 5, 7)),
    "upsample_linear_1d": ("Upsample", {"scale_factor": 2.5, "mode": "linear"}, (2, 2, 4)),
    "upsample_linear_align_1d": ("Upsample", {"size": 6, "mode": "linear", "align_corners": True}, (1, 2, 4)),
    "zeropad_all": ("ZeroPad2d", {"padding": 2}, (2, 2, 3, 4)),
    "zeropad_uneven_crop": ("ZeroPad2d", {"padding": [1, -1, -2, 3]}, (2, 2, 4, 5)),
    "groupnorm_image": ("GroupNorm", {"num_groups": 2, "num_channels": 4}, (3, 4, 3, 2)),
    "groupnorm_vector_one_group": ("GroupNorm", {"num_groups": 1, "num_channels": 5}, (4, 5)),
    "groupnorm_instance_noaffine": ("GroupNorm", {"num_groups": 3, "num_channels": 3, "affine": False, "eps": 1e-3},
                                    (2, 3, 6)),
    "groupnorm_batch_of_1": ("GroupNorm", {"num_groups": 2, "num_channels": 6}, (1, 6, 2, 2)),
    "prelu_shared": ("PReLU", {}, (3, 5)),
    "prelu_channels": ("PReLU", {"num_parameters": 3, "init": 0.1}, (2, 3, 2, 2)),
    "silu": ("SiLU", {}, (3, 6)),
    "mish": ("Mish", {}, (3, 6)),
    "hardtanh_default": ("Hardtanh", {}, (3, 6)),
    "hardtanh_bounds": ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}, (3, 6)),
    "dropout2d": ("Dropout2d", {"p": 0.5}, (8, 6, 2, 3)),
}
EXTREMES = [-800.0, -40.0, -1.0, 0.0, 1e-9, 40.0, 800.0]
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_vision_reference.npz"


def _torch_kwargs(kwargs):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def record():
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    arrays = {"cases": np.array(json.dumps({k: [c, kw] for k, (c, kw, _) in CASES.items()}))}
    for i, (case, (kind, kwargs, shape)) in enumerate(CASES.items()):
        rng = np.random.default_rng(200 + i)
        layer = getattr(torch.nn, kind)(**_torch_kwargs(kwargs))
        with torch.no_grad():
            for name, p in layer.named_parameters():
                p.copy_(torch.from_numpy(rng.uniform(-0.6, 0.6, tuple(p.shape)) + (1.0 if name == "weight" and
                                                                                  kind == "GroupNorm" else 0.0)))
                arrays[f"{case}/{name}"] = p.detach().numpy().copy()
        X = rng.standard_normal(shape) * 2
        if kind in ("SiLU", "Mish", "Hardtanh", "PReLU"):
            X.reshape(-1)[:len(EXTREMES)] = EXTREMES          # extreme values and the kinks
            if kind == "Hardtanh":
                X.reshape(-1)[-2:] = [kwargs.get("min_val", -1.0), kwargs.get("max_val", 1.0)]   # at the bounds
        Xt = torch.from_numpy(X).requires_grad_()
        Y = layer(Xt)
        R = rng.standard_normal(tuple(Y.shape))
        (Y * torch.from_numpy(R)).sum().backward()
        arrays.update({f"{case}/X": X, f"{case}/R": R, f"{case}/Y": Y.detach().numpy(),
                       f"{case}/grad/X": Xt.grad.numpy()})
        for name, p in layer.named_parameters():
            arrays[f"{case}/grad/{name}"] = p.grad.numpy().copy()
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays for {len(CASES)} cases to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    record()
