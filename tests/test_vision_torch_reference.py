"""The vision blocks of issue 26 against numbers recorded with torch.nn in
float64: outputs and the gradients of the input and of every parameter, for
L = Σ Y ⊙ R (ConvTranspose2d/1d, Upsample, ZeroPad2d, GroupNorm, PReLU, SiLU,
Mish, Hardtanh); Dropout2d's random masks cannot be shared, so its recorded
output and gradient are checked for the semantics kubik implements (whole
channels kept and scaled by 1/(1 − p), the same mask in backward). Recorded
once by tests/torch_reference/record_vision.py (torch 2.13); this test does not
import torch. The parameters have PyTorch's layouts, loaded as they are."""
import json
import pathlib

import numpy as np
import pytest

from kubik import layers

DATA = pathlib.Path(__file__).parent / "data" / "torch_vision_reference.npz"


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


with np.load(DATA, allow_pickle=False) as _f:
    CASES = json.loads(str(_f["cases"]))


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][0] != "Dropout2d"))
def test_matches_torch(ref, case):
    kind, kwargs = CASES[case]
    get = lambda name: ref[f"{case}/{name}"]
    layer = layers.LAYERS.get(kind)(**kwargs).astype(np.float64)
    layer.load_state_dict({name: get(name) for name, _ in layer.named_parameters()})
    Y = layer.forward(get("X"))
    np.testing.assert_allclose(Y, get("Y"), rtol=1e-10, atol=1e-12)
    layer.zero_grad()
    dX = layer.backward(get("R"))
    np.testing.assert_allclose(dX, get("grad/X"), rtol=1e-9, atol=1e-12)
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, get(f"grad/{name}"), rtol=1e-9, atol=1e-12, err_msg=f"{case}: {name}")


def test_dropout2d_semantics_match_torch(ref):
    p = CASES["dropout2d"][1]["p"]
    X, R, Y, dX = (ref[f"dropout2d/{k}"] for k in ("X", "R", "Y", "grad/X"))
    kept = np.abs(Y).reshape(Y.shape[0], Y.shape[1], -1).max(-1) > 0          # torch's mask, per (sample, channel)
    M = kept[:, :, None, None] / (1 - p)
    np.testing.assert_allclose(Y, X * M, rtol=1e-12)                          # whole channels, scaled 1/(1 − p)
    np.testing.assert_allclose(dX, R * M, rtol=1e-12)                         # the same mask in backward
    ours = layers.Dropout2d(p, rng=0)
    Yk = ours.forward(X)
    mine = np.abs(Yk).reshape(Yk.shape[0], Yk.shape[1], -1).max(-1) > 0
    np.testing.assert_allclose(Yk, X * (mine[:, :, None, None] / (1 - p)), rtol=1e-12)
    np.testing.assert_allclose(ours.backward(R), R * (mine[:, :, None, None] / (1 - p)), rtol=1e-12)


def test_every_vision_block_is_covered(ref):
    kinds = {kind for kind, _ in CASES.values()}
    assert kinds == {"ConvTranspose2d", "ConvTranspose1d", "Upsample", "ZeroPad2d", "GroupNorm", "PReLU", "SiLU",
                     "Mish", "Hardtanh", "Dropout2d"}
