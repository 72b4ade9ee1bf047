"""The CTC loss against numbers recorded with torch.nn.CTCLoss (float64) on the
time-first transpose: the value and the gradient of log_probs, for every reduction,
zero_infinity, repeated labels, ragged lengths, a blank other than 0, T = 200, an
empty target and T = 1. Recorded once by tests/torch_reference/record_ctc.py
(torch 2.13); this test does not import torch."""
import pathlib

import numpy as np
import pytest

from kubik import losses

DATA = pathlib.Path(__file__).parent / "data" / "torch_ctc_reference.npz"
REDUCTIONS = ("mean", "sum", "none")


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def cases(ref):
    return sorted({k.split("/")[0] for k in ref})


def test_every_recorded_case_is_tested(ref):
    assert len(cases(ref)) == 12


@pytest.mark.parametrize("case", ["mean_blank0", "sum_blank0", "none_blank0", "mean_blank_last", "sum_blank_middle",
                                  "repeated_labels", "ragged_lengths", "zero_infinity_mean", "zero_infinity_none",
                                  "long_T200", "empty_target", "T1"])
def test_matches_torch(ref, case):
    get = lambda name: ref[f"{case}/{name}"]
    blank, zero_inf, red = (int(v) for v in get("options"))
    loss = losses.CTC(blank=blank, reduction=REDUCTIONS[red], zero_infinity=bool(zero_inf))
    value = loss.forward(get("log_probs"), get("targets"), get("input_lengths"), get("target_lengths"))
    np.testing.assert_allclose(value, get("loss"), rtol=1e-10, atol=1e-12)
    grad = loss.backward(get("R") if REDUCTIONS[red] == "none" else None)
    np.testing.assert_allclose(grad, get("grad"), rtol=1e-9, atol=1e-12, err_msg=case)


def test_lengths_inferred_from_blank_padding_match_torch(ref):
    """forward(log_probs, targets) with rows padded by the blank: the trainer's call."""
    case = "ragged_lengths"
    get = lambda name: ref[f"{case}/{name}"]
    loss = losses.CTC()
    value = loss.forward(get("log_probs"), get("targets"), get("input_lengths"))
    np.testing.assert_allclose(value, get("loss"), rtol=1e-10)


def test_float32_close_to_the_float64_reference(ref):
    """T = 200 with confident scores (loss 1259 nats): float32 stays as close as torch's float32."""
    get = lambda name: ref[f"long_T200/{name}"]
    loss = losses.CTC(reduction="sum")
    value = loss.forward(get("log_probs").astype(np.float32), get("targets"))
    grad = loss.backward()
    assert grad.dtype == np.float32
    np.testing.assert_allclose(value, get("loss"), rtol=1e-4)
    np.testing.assert_allclose(grad, get("grad"), atol=5e-4)    # torch's own float32 is off by 2.7e-4 here


def test_negative_control_a_wrong_gradient_is_caught(ref):
    """The parity test can fail: leaving out the y_t(c) term (the free-log_probs derivative)
    is off by far more than the tolerance."""
    get = lambda name: ref[f"mean_blank0/{name}"]
    loss = losses.CTC()
    loss.forward(get("log_probs"), get("targets"))
    wrong = loss.backward() - np.exp(get("log_probs")) * loss._weights[:, None, None]
    assert not np.allclose(wrong, get("grad"), rtol=1e-9, atol=1e-12)
