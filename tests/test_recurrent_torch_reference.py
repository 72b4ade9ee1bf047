"""RNN, LSTM and GRU against numbers recorded with torch.nn (float64): forward
outputs, final states and the gradients of the input, the initial states and
every parameter, for L = Σ Y ⊙ R. Recorded once by
tests/torch_reference/record_rnn.py (torch 2.13); this test does not import torch.
A PyTorch weight is the transpose of kubik's (XW orientation)."""
import pathlib

import numpy as np
import pytest

from kubik import layers

DATA = pathlib.Path(__file__).parent / "data" / "torch_rnn_reference.npz"
CASES = {
    "rnn_tanh": (layers.RNN, {}),
    "rnn_relu_2layers": (layers.RNN, {"nonlinearity": "relu", "num_layers": 2}),
    "lstm": (layers.LSTM, {}),
    "lstm_2layers_bidirectional": (layers.LSTM, {"num_layers": 2, "bidirectional": True}),
    "gru": (layers.GRU, {}),
    "gru_2layers_bidirectional": (layers.GRU, {"num_layers": 2, "bidirectional": True}),
}


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(ref, case):
    cls, kwargs = CASES[case]
    get = lambda name: ref[f"{case}/{name}"]
    X = get("X")
    net = cls(X.shape[2], get("h0").shape[2], dtype=np.float64, **kwargs)
    state = {name: get(name).T if name.startswith("weight") else get(name) for name, _ in net.named_parameters()}
    net.load_state_dict(state)
    net.set_initial_state(get("h0"), get("c0") if cls is layers.LSTM else None)
    Y = net.forward(X)
    np.testing.assert_allclose(Y, get("Y"), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.h_n, get("h_n"), rtol=1e-10, atol=1e-12)
    if cls is layers.LSTM:
        np.testing.assert_allclose(net.c_n, get("c_n"), rtol=1e-10, atol=1e-12)
    net.zero_grad()
    dX = net.backward(get("R"))
    np.testing.assert_allclose(dX, get("grad/X"), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.grad_h0, get("grad/h0"), rtol=1e-9, atol=1e-12)
    if cls is layers.LSTM:
        np.testing.assert_allclose(net.grad_c0, get("grad/c0"), rtol=1e-9, atol=1e-12)
    for name, p in net.named_parameters():
        g = get(f"grad/{name}")
        np.testing.assert_allclose(p.grad, g.T if name.startswith("weight") else g, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case}: gradient of {name}")
