"""MultiheadAttention and TransformerEncoderLayer against numbers recorded with torch.nn
(float64): outputs and the gradients of every input and parameter for L = Σ Y ⊙ R;
self- and cross-attention, causal, key padding, 1-4 heads; post- and pre-norm, relu and
gelu. Recorded once by tests/torch_reference/record_attention.py (torch 2.13); this test
does not import torch. A PyTorch Linear weight (in_proj_weight, out_proj.weight,
linear1/2.weight) is the transpose of kubik's (XW orientation)."""
import pathlib

import numpy as np
import pytest

from kubik import layers

DATA = pathlib.Path(__file__).parent / "data" / "torch_attention_reference.npz"
ATTENTION = {"self_1head": (8, 1, False), "self_2heads_padding": (8, 2, False), "self_3heads_causal": (12, 3, True),
             "self_4heads_causal_padding": (8, 4, True), "cross_2heads": (8, 2, False),
             "cross_4heads_padding": (8, 4, False), "cross_1head_causal": (6, 1, True)}
TRANSFORMER = {"post_relu": ("relu", False, False), "post_gelu": ("gelu", False, False),
               "pre_relu": ("relu", True, False), "pre_gelu_causal": ("gelu", True, True),
               "post_relu_causal_padding": ("relu", False, True)}


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _xw(name, value):
    """PyTorch's parameter in kubik's orientation: Linear weights transposed."""
    return value.T if name.endswith("weight") and "norm" not in name else value


def _load(net, ref, case):
    net.load_state_dict({n: _xw(n, ref[f"{case}/{n}"]).copy() for n, _ in net.named_parameters()})


def _check(net, ref, case, Y, dX, inputs):
    np.testing.assert_allclose(Y, ref[f"{case}/Y"], rtol=1e-10, atol=1e-12)
    for name, d in zip(inputs, dX):
        np.testing.assert_allclose(d, ref[f"{case}/grad/{name}"], rtol=1e-9, atol=1e-12, err_msg=f"{case}: d{name}")
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, _xw(name, ref[f"{case}/grad/{name}"]), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case}: gradient of {name}")


def test_every_recorded_case_is_tested(ref):
    assert {k.split("/")[0] for k in ref} == set(ATTENTION) | set(TRANSFORMER)


@pytest.mark.parametrize("case", sorted(ATTENTION))
def test_attention_matches_torch(ref, case):
    E, h, causal = ATTENTION[case]
    net = layers.MultiheadAttention(E, h, causal=causal, dtype=np.float64)
    _load(net, ref, case)
    mask = ref.get(f"{case}/key_padding_mask")
    inputs = ("Q", "K", "V") if case.startswith("cross") else ("X",)
    Y = net.forward(*(ref[f"{case}/{n}"] for n in inputs), key_padding_mask=mask)
    net.zero_grad()
    dX = net.backward(ref[f"{case}/R"])
    _check(net, ref, case, Y, dX if len(inputs) == 3 else (dX,), inputs)


@pytest.mark.parametrize("case", sorted(TRANSFORMER))
def test_transformer_layer_matches_torch(ref, case):
    act, norm_first, causal = TRANSFORMER[case]
    X = ref[f"{case}/X"]
    E = X.shape[2]
    F = ref[f"{case}/linear1.weight"].shape[0]
    h = {"post_relu": 2, "post_gelu": 4, "pre_relu": 2, "pre_gelu_causal": 3, "post_relu_causal_padding": 1}[case]
    net = layers.TransformerEncoderLayer(E, h, F, dropout=0.0, activation=act, norm_first=norm_first, causal=causal,
                                         dtype=np.float64)
    assert [n for n, _ in net.named_parameters()] == [k[len(case) + 1:] for k in ref
                                                      if k.startswith(case + "/") and "/" not in k[len(case) + 1:]
                                                      and k[len(case) + 1:] not in ("X", "R", "Y", "key_padding_mask")]
    _load(net, ref, case)
    Y = net.forward(X, key_padding_mask=ref.get(f"{case}/key_padding_mask"))
    net.zero_grad()
    _check(net, ref, case, Y, (net.backward(ref[f"{case}/R"]),), ("X",))


def test_negative_control_a_wrong_scale_is_caught(ref):
    """The parity test can fail: scores scaled by 1/d instead of 1/√d."""
    case = "self_2heads_padding"
    net = layers.MultiheadAttention(8, 2, dtype=np.float64)
    _load(net, ref, case)
    net.head_dim = 16        # the scale is 1/√head_dim: now 1/4 instead of 1/2
    Y = net.forward(ref[f"{case}/X"], key_padding_mask=ref[f"{case}/key_padding_mask"])
    assert not np.allclose(Y, ref[f"{case}/Y"], rtol=1e-10, atol=1e-12)
