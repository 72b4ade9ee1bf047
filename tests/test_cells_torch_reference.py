"""RNNCell, GRUCell and LSTMCell against numbers recorded with torch.nn (float64): one
step (outputs, the gradients of X, H, C and every parameter) and a Python loop over 4
steps with the weights shared through ``shared()`` copies, H fed back (the unrolled
graph). Recorded once by tests/torch_reference/record_cells.py (torch 2.13); this test
does not import torch. A PyTorch weight is the transpose of kubik's (XW orientation)."""
import pathlib

import numpy as np
import pytest

from kubik import layers

DATA = pathlib.Path(__file__).parent / "data" / "torch_cells_reference.npz"
CASES = {"rnn_tanh": (layers.RNNCell, {}), "rnn_relu": (layers.RNNCell, {"nonlinearity": "relu"}),
         "gru": (layers.GRUCell, {}), "lstm": (layers.LSTMCell, {}), "lstm_no_bias": (layers.LSTMCell, {"bias": False}),
         "gru_loop": (layers.GRUCell, {}), "lstm_loop": (layers.LSTMCell, {})}


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _cell(ref, case):
    cls, kwargs = CASES[case]
    get = lambda name: ref[f"{case}/{name}"]
    cell = cls(get("X").shape[-1], get("H").shape[1], dtype=np.float64, **kwargs)
    cell.load_state_dict({n: get(n).T.copy() if n.startswith("weight") else get(n) for n, _ in cell.named_parameters()})
    return cell, get


def _check_params(cell, get, case):
    for name, p in cell.named_parameters():
        g = get(f"grad/{name}")
        np.testing.assert_allclose(p.grad, g.T if name.startswith("weight") else g, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case}: gradient of {name}")


def test_every_recorded_case_is_tested(ref):
    assert {k.split("/")[0] for k in ref} == set(CASES)


@pytest.mark.parametrize("case", [c for c in sorted(CASES) if not c.endswith("loop")])
def test_one_step_matches_torch(ref, case):
    cell, get = _cell(ref, case)
    lstm = isinstance(cell, layers.LSTMCell)
    states = (get("H"), get("C")) if lstm else (get("H"),)
    out = cell.forward(get("X"), *states)
    H1 = out[0] if lstm else out
    np.testing.assert_allclose(H1, get("H1"), rtol=1e-10, atol=1e-12)
    if lstm:
        np.testing.assert_allclose(out[1], get("C1"), rtol=1e-10, atol=1e-12)
    cell.zero_grad()
    grads = cell.backward(get("R"), get("RC")) if lstm else cell.backward(get("R"))
    for name, d in zip("XHC", grads):
        np.testing.assert_allclose(d, get(f"grad/{name}"), rtol=1e-9, atol=1e-12, err_msg=f"{case}: d{name}")
    _check_params(cell, get, case)


@pytest.mark.parametrize("case", ["gru_loop", "lstm_loop"])
def test_unrolled_loop_with_shared_weights_matches_torch(ref, case):
    cell, get = _cell(ref, case)
    lstm = isinstance(cell, layers.LSTMCell)
    X, R = get("X"), get("R")
    T = X.shape[1]
    steps = [cell.shared() for _ in range(T)]
    state = (get("H"), get("C")) if lstm else (get("H"),)
    hs = []
    for t in range(T):
        out = steps[t].forward(X[:, t], *state)
        state = out if lstm else (out,)
        hs.append(state[0])
    np.testing.assert_allclose(np.stack(hs, 1), get("H1"), rtol=1e-10, atol=1e-12)
    cell.zero_grad()
    dX = np.zeros_like(X)
    dstate = [np.zeros_like(s) for s in state]
    for t in reversed(range(T)):
        dstate[0] = dstate[0] + R[:, t]
        grads = steps[t].backward(*dstate)
        dX[:, t], dstate = grads[0], list(grads[1:])
    np.testing.assert_allclose(dX, get("grad/X"), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dstate[0], get("grad/H"), rtol=1e-9, atol=1e-12)
    if lstm:
        np.testing.assert_allclose(dstate[1], get("grad/C"), rtol=1e-9, atol=1e-12)
    _check_params(cell, get, case)


def test_negative_control_one_shared_cell_for_every_step_is_wrong(ref):
    """Reusing ONE cell object for every step keeps only the last step's cache: its
    gradients do not match (what shared() copies are for)."""
    cell, get = _cell(ref, "gru_loop")
    X, R = get("X"), get("R")
    H = get("H")
    for t in range(X.shape[1]):
        H = cell.forward(X[:, t], H)
    cell.zero_grad()
    dH = np.zeros_like(H)
    for t in reversed(range(X.shape[1])):
        dX, dH = cell.backward(dH + R[:, t])
    assert not np.allclose(cell.weight_ih.grad, get("grad/weight_ih").T, rtol=1e-9, atol=1e-12)
