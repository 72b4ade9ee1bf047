"""Every loss against values and gradients recorded with torch.nn (float64), in
every reduction it accepts (for 'none': the per-sample values and the gradient of
their sum), edge cases included: margins exactly met, zero distances, every label
ignored, a variance below eps, extreme logits. Recorded once by
tests/torch_reference/record_losses.py (torch 2.13); this test does not import torch."""
import json
import pathlib

import numpy as np
import pytest

from kubik import losses

DATA = pathlib.Path(__file__).parent / "data" / "torch_loss_reference.npz"


@pytest.fixture(scope="module")
def ref():
    with np.load(DATA, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _cases():
    with np.load(DATA, allow_pickle=False) as f:
        return sorted({k.split("/")[0] for k in f.files})


def _run(ref, case, reduction, cls=None):
    get = lambda name: ref[f"{case}/{name}"]
    cls = cls or losses.LOSSES.get(str(get("kubik")))
    loss = cls(reduction=reduction, **json.loads(str(get("kwargs"))))
    n_args = sum(1 for k in ref if k.startswith(f"{case}/in/"))
    args = [get(f"in/{i}") for i in range(n_args)]
    value = loss.forward(*args)
    grads = loss.backward()
    grads = grads if isinstance(grads, tuple) else (grads,)
    return loss, value, grads


CASES = _cases()


OWN_REFERENCES = {"CTC": "tests/test_ctc_torch_reference.py"}     # recorded by their own scripts


def test_every_loss_has_reference_cases(ref):
    recorded = {str(ref[f"{c}/kubik"]) for c in CASES} | set(OWN_REFERENCES)
    registered = {n for n, cls in losses.LOSSES.items() if cls.__name__ == n}
    assert registered <= recorded, f"losses without torch reference: {sorted(registered - recorded)}"
    assert all((pathlib.Path(__file__).parent.parent / f).is_file() for f in OWN_REFERENCES.values())


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_in_every_reduction(ref, case):
    get = lambda name: ref[f"{case}/{name}"]
    reductions = sorted({k.split("/")[1] for k in ref if k.startswith(case + "/") and k.endswith("/value")})
    assert {"mean", "sum", "none"} <= set(reductions)
    for reduction in reductions:
        loss, value, grads = _run(ref, case, reduction)
        want = get(f"{reduction}/value")
        if reduction == "none":
            assert isinstance(value, np.ndarray) and value.shape == want.shape, (case, np.shape(value), want.shape)
        else:
            assert isinstance(value, float)
        np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-12, equal_nan=True,
                                   err_msg=f"{case} value, reduction={reduction}")
        predictions = [int(i) for i in get("predictions")]
        assert len(grads) == len(predictions) == len(loss.predictions)
        for i, g in zip(predictions, grads):
            np.testing.assert_allclose(g, get(f"{reduction}/grad/{i}"), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{case} gradient of argument {i}, reduction={reduction}")


class _WrongBackward(losses.SmoothL1):
    """A negative control: SmoothL1 whose backward forgets the 1/β of the quadratic part."""

    def backward(self):
        return self._E * self._s


def test_parity_check_catches_a_wrong_backward(ref):
    _, _, grads = _run(ref, "smooth_l1_beta", "mean", cls=_WrongBackward)
    assert not np.allclose(grads[0], ref["smooth_l1_beta/mean/grad/0"], rtol=1e-9, atol=1e-12)
    with pytest.raises(AssertionError):
        losses.check_loss(_WrongBackward(beta=0.5), ref["smooth_l1_beta/in/0"], ref["smooth_l1_beta/in/1"])
