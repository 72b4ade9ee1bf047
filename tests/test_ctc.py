"""CTC loss and decoders: hand-computed values, float64 finite-difference gradient
checks (through a log-softmax, where torch's gradient is the exact one), edge cases,
bad arguments and a negative control."""
import itertools

import numpy as np
import pytest

from kubik import layers, losses
from kubik.layers.core.gradcheck import GradcheckResult, check_array

# y_t(c) for t = 0, 1, 2 (rows) and classes blank, 1, 2 (columns)
Y = np.array([[0.5, 0.3, 0.2],
              [0.4, 0.4, 0.2],
              [0.6, 0.1, 0.3]])
# the 5 paths of length 3 that collapse to (1, 2), worked out by hand:
#   (b,1,2) .5*.4*.3 = .060   (1,b,2) .3*.4*.3 = .036   (1,2,b) .3*.2*.6 = .036
#   (1,1,2) .3*.4*.3 = .036   (1,2,2) .3*.2*.3 = .018            p = .186
P_12 = 0.186


def log_softmax(Z):
    Z = Z - Z.max(-1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(-1, keepdims=True))


def test_three_steps_two_labels_by_hand():
    loss = losses.CTC(reduction="sum")
    assert loss.forward(np.log(Y)[None], np.array([[1, 2]])) == pytest.approx(-np.log(P_12), rel=1e-12)
    assert losses.CTC().forward(np.log(Y)[None], np.array([[1, 2]])) == pytest.approx(-np.log(P_12) / 2, rel=1e-12)
    # gradient y_t(c) − (paths through c at t) / p; at t = 0: blank in .060 of .186, label 1 in .126
    G = loss.backward()[0]
    np.testing.assert_allclose(G[0], [0.5 - 0.060 / P_12, 0.3 - 0.126 / P_12, 0.2], rtol=1e-12)
    # t = 1: blank .036, label 1 .060 + .036, label 2 .036 + .018
    np.testing.assert_allclose(G[1], [0.4 - 0.036 / P_12, 0.4 - 0.096 / P_12, 0.2 - 0.054 / P_12], rtol=1e-12)
    # t = 2: blank .036 (1,2,b), label 2 the other four .150
    np.testing.assert_allclose(G[2], [0.6 - 0.036 / P_12, 0.1, 0.3 - 0.150 / P_12], rtol=1e-12)


def test_repeated_label_needs_a_blank_between():
    """(1, 1) in 3 steps has one path, 1 b 1; in 2 steps none."""
    loss = losses.CTC(reduction="sum")
    assert loss.forward(np.log(Y)[None], np.array([[1, 1]])) == pytest.approx(-np.log(0.3 * 0.4 * 0.1), rel=1e-12)
    assert loss.forward(np.log(Y[:2])[None], np.array([[1, 1]])) == np.inf


def test_blank_not_zero_is_the_same_problem_relabelled():
    perm = [1, 2, 0]                                    # blank is class 2 now, labels 1, 2 become 0, 1
    lp = np.log(Y)[:, perm][None]
    assert losses.CTC(blank=2, reduction="sum").forward(lp, np.array([[0, 1]])) == pytest.approx(-np.log(P_12))


def brute_force_nll(lp, target, blank):
    T, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(target):
            total += np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def test_matches_a_sum_over_every_path():
    rng = np.random.default_rng(0)
    lp = log_softmax(rng.standard_normal((3, 5, 3)))
    targets = np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0]])   # padded with the blank 0
    got = losses.CTC(reduction="none").forward(lp, targets)
    want = [brute_force_nll(lp[n], [c for c in targets[n] if c], 0) for n in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_single_step():
    lp = np.log(Y[:1])[None].repeat(3, 0)
    got = losses.CTC(reduction="none").forward(lp, np.array([[1, 2], [2, 0], [0, 0]]), target_lengths=[2, 1, 0])
    np.testing.assert_allclose(got, [np.inf, -np.log(0.2), -np.log(0.5)])


def test_target_longer_than_input_is_infinite_or_zeroed():
    lp = log_softmax(np.random.default_rng(1).standard_normal((2, 3, 4)))
    targets = np.array([[1, 2, 3, 1], [1, 2, 0, 0]])
    loss = losses.CTC(reduction="none")
    values = loss.forward(lp, targets, target_lengths=[4, 2])
    assert values[0] == np.inf and np.isfinite(values[1])
    assert np.isnan(loss.backward()[0]).all()              # as torch.nn.CTCLoss without zero_infinity
    zi = losses.CTC(reduction="mean", zero_infinity=True)
    assert zi.forward(lp, targets, target_lengths=[4, 2]) == pytest.approx(values[1] / 2 / 2)
    G = zi.backward()
    assert (G[0] == 0).all() and np.isfinite(G).all() and np.abs(G[1]).sum() > 0


def test_stable_for_hundreds_of_steps_with_extreme_scores():
    rng = np.random.default_rng(2)
    T, S = 400, 40
    lp = log_softmax(rng.standard_normal((2, T, 6)) * 30).astype(np.float32)     # logits of ±100
    targets = rng.integers(1, 6, (2, S))
    loss = losses.CTC(reduction="none")
    v = loss.forward(lp, targets)
    G = loss.backward()
    assert np.isfinite(v).all() and v.dtype == np.float32 and np.isfinite(G).all()
    v64 = losses.CTC(reduction="none").forward(lp.astype(np.float64), targets)
    np.testing.assert_allclose(v, v64, rtol=1e-4)
    # each row's gradient sums to 0 (y sums to 1, so do the posteriors); float32 at a loss of
    # thousands of nats rounds the exponents of the posteriors to ~1e-3
    np.testing.assert_allclose(G.sum(-1), 0, atol=1e-2)
    G64 = losses.CTC(reduction="none")
    G64.forward(lp.astype(np.float64), targets)
    np.testing.assert_allclose(G64.backward().sum(-1), 0, atol=1e-6)   # log_probs rounded to float32


def test_log_zero_inputs():
    with np.errstate(divide="ignore"):
        lp = np.log(np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]]))   # -inf entries
        loss = losses.CTC(reduction="sum")
        assert loss.forward(lp, np.array([[1]])) == pytest.approx(0.0, abs=1e-12)
        assert loss.forward(lp, np.array([[2]])) == np.inf


def ctc_through_log_softmax_gradcheck(loss, Z, targets, **kw):
    """Finite differences of CTC(log_softmax(Z)) against LogSoftmax.backward(CTC.backward())."""
    ls = layers.LogSoftmax()
    ls.forward(Z)
    loss.forward(ls.forward(Z), targets, **kw)
    analytic = ls.backward(loss.backward())
    f = lambda: float(np.sum(loss.forward(ls.forward(Z), targets, **kw)))
    result = GradcheckResult("CTC", tol=1e-6)
    check_array(result, "logits", Z, analytic, f, 1e-6)
    return result


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("blank", [0, 3])
def test_gradcheck_through_log_softmax(reduction, blank):
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((3, 6, 4))
    targets = np.array([[1, 2, 2], [2, 1, 0], [1, 1, 2]]) if blank == 0 else np.array([[1, 2, 2], [2, 1, 3], [0, 0, 1]])
    result = ctc_through_log_softmax_gradcheck(losses.CTC(blank=blank, reduction=reduction), Z, targets,
                                               input_lengths=[6, 5, 6], target_lengths=[3, 2, 3])
    assert result.ok and result.checked == Z.size, str(result)


def test_backward_is_the_free_log_probs_derivative_plus_y():
    """What the docstring says: torch's gradient minus y_t(c) (up to T_n, times the weight) is
    the derivative with respect to free (unnormalized) log_probs."""
    rng = np.random.default_rng(4)
    lp = log_softmax(rng.standard_normal((2, 5, 4)))
    targets, T_n = np.array([[1, 3], [2, 2]]), np.array([5, 4])
    loss = losses.CTC()
    loss.forward(lp, targets, T_n)
    step = (np.arange(5)[None, :] < T_n[:, None])[:, :, None]
    analytic = loss.backward() - np.exp(lp) * step * loss._weights[:, None, None]
    result = GradcheckResult("CTC", tol=1e-6)
    check_array(result, "log_probs", lp, analytic, lambda: loss.forward(lp, targets, T_n), 1e-6)
    assert result.ok, str(result)


class WrongCTC(losses.CTC):
    """A deliberately wrong backward: the posterior term without its repeated-label paths."""

    def backward(self, grad=None):
        G = super().backward(grad)
        G[:, :, 1] *= 0.9
        return G


def test_negative_control_wrong_backward_fails_the_gradcheck():
    Z = np.random.default_rng(5).standard_normal((2, 5, 3))
    result = ctc_through_log_softmax_gradcheck(WrongCTC(), Z, np.array([[1, 2], [1, 1]]))
    assert not result.ok


def test_upstream_gradient_of_reduction_none():
    lp = log_softmax(np.random.default_rng(6).standard_normal((3, 6, 4)))
    targets = np.array([[1, 2], [3, 3], [2, 0]])
    loss = losses.CTC(reduction="none")
    loss.forward(lp, targets)
    R = np.array([0.5, -2.0, 1.5])
    G = loss.backward(R)
    ones = loss.backward()
    np.testing.assert_allclose(G, ones * R[:, None, None])
    with pytest.raises(ValueError, match=r"CTC.*upstream gradient has shape \(2,\), expected \(3,\)"):
        loss.backward(np.ones(2))


def test_concatenated_targets_as_torch_accepts():
    lp = log_softmax(np.random.default_rng(7).standard_normal((2, 6, 4)))
    a = losses.CTC(reduction="none").forward(lp, np.array([[1, 2, 3], [2, 0, 0]]), target_lengths=[3, 1])
    b = losses.CTC(reduction="none").forward(lp, np.array([1, 2, 3, 2]), target_lengths=[3, 1])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("args, message", [
    ((np.zeros((2, 3)), np.array([[1]])), r"CTC.*log_probs must be a floating \(N, T, C\) array.*got shape \(2, 3\)"),
    ((np.zeros((1, 3, 4)), np.array([[1, 9]])), r"target labels must lie in \[0, 4\).*max 9"),
    ((np.zeros((1, 3, 4)), np.array([[1, 0, 2]]), None, [3]), r"targets row 0 holds the blank 0 inside"),
    ((np.zeros((1, 3, 4)), np.array([[1, 0, 2]])), r"targets row 0 has a label after its padding"),
    ((np.zeros((2, 3, 4)), np.array([[1], [2]]), [3, 4]), r"input_lengths must lie in \[1, 3\].*max 4"),
    ((np.zeros((2, 3, 4)), np.array([[1], [2]]), [3]), r"input_lengths must have shape \(2,\), got \(1,\)"),
    ((np.zeros((2, 3, 4)), np.array([[1], [2]]), None, [1, 2]), r"target_lengths must lie in \[0, 1\]"),
    ((np.zeros((2, 3, 4)), np.array([1, 2, 3]), None, [1, 1]), r"concatenated targets hold 3 labels.*sum to 2"),
    ((np.zeros((2, 3, 4)), np.array([[1.5], [2]])), r"targets must hold integers"),
    ((np.zeros((2, 3, 4)), np.array([[1], [2], [3]])), r"targets must be \(2, S\) padded label rows"),
])
def test_bad_arguments_are_named(args, message):
    with pytest.raises((ValueError, TypeError), match=message):
        losses.CTC().forward(*args)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="CTC: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        losses.CTC(reduction="avg")
    with pytest.raises(ValueError, match="CTC: blank must be a class index >= 0"):
        losses.CTC(blank=-1)
    with pytest.raises(ValueError, match="blank=5 is not a class of log_probs with C=4"):
        losses.CTC(blank=5).forward(np.zeros((1, 2, 4)), np.array([[1]]))
    with pytest.raises(ValueError, match="empty batch"):
        losses.CTC().forward(np.zeros((0, 2, 4)), np.zeros((0, 1), int))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        losses.CTC().backward()


def test_spec_and_registry():
    loss = losses.CTC(blank=10, zero_infinity=True)
    assert loss.spec() == {"CTC": {"blank": 10, "zero_infinity": True}}
    assert losses.LOSSES.get("CTCLoss") is losses.CTC
    assert repr(loss) == "CTC(blank=10, zero_infinity=True)"


# -- decoders --------------------------------------------------------------------------------

def test_greedy_decode_by_hand():
    # argmax per step: 1 1 b 1 2 2 b  -> 1 1 2 ; the second sample stops after 3 steps: 2 b 2 -> 2 2
    best = np.array([[1, 1, 0, 1, 2, 2, 0], [2, 0, 2, 1, 1, 1, 1]])
    lp = np.log(np.full((2, 7, 3), 0.1))
    np.put_along_axis(lp, best[:, :, None], np.log(0.8), axis=2)
    assert losses.ctc_greedy_decode(lp, [7, 3]) == [[1, 1, 2], [2, 2]]
    assert losses.ctc_greedy_decode(lp) == [[1, 1, 2], [2, 2, 1]]
    assert losses.ctc_greedy_decode(lp, blank=1) == [[0, 2, 0], [2, 0, 2]]


def brute_force_best(lp, blank):
    """The most probable labeling: the probability of every path added into its collapse."""
    T, C = lp.shape
    probs = {}
    for path in itertools.product(range(C), repeat=T):
        key = tuple(c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1]))
        probs[key] = probs.get(key, 0.0) + np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    best = max(probs, key=lambda k: (probs[k], [-c for c in k]))
    return list(best), np.log(probs[best])


@pytest.mark.parametrize("seed", range(12))
def test_beam_search_agrees_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    T, C, blank = 6, 3, seed % 3
    lp = log_softmax(rng.standard_normal((1, T, C)) * 1.5)
    best, logp = brute_force_best(lp[0], blank)
    seqs, scores = losses.ctc_beam_search(lp, beam_width=200, blank=blank, return_scores=True)
    assert seqs == [best]
    assert scores[0] == pytest.approx(logp, rel=1e-10)
    # the beam's score is the CTC likelihood of that labeling
    if best:
        nll = losses.CTC(blank=blank, reduction="sum").forward(lp, np.array([best]))
        assert scores[0] == pytest.approx(-nll, rel=1e-10)


def test_beam_search_can_beat_greedy():
    """Best path b-b-b (p .216) loses to labeling (1,) spread over many paths (p .784)."""
    y = np.array([[0.6, 0.4], [0.6, 0.4], [0.6, 0.4]])
    lp = np.log(y)[None]
    assert losses.ctc_greedy_decode(lp) == [[]]
    assert losses.ctc_beam_search(lp, beam_width=4) == [[1]]
    assert losses.ctc_beam_search(lp, beam_width=1) == [[]]     # a beam of one is greedy here


def test_beam_search_batch_and_lengths():
    rng = np.random.default_rng(9)
    lp = log_softmax(rng.standard_normal((3, 5, 4)) * 3)
    full = losses.ctc_beam_search(lp, [5, 2, 4], beam_width=50)
    for n, T_n in enumerate([5, 2, 4]):
        assert full[n] == brute_force_best(lp[n, :T_n], 0)[0]


def test_decoders_refuse_bad_arguments():
    with pytest.raises(ValueError, match="ctc_beam_search: beam_width must be an integer >= 1, got 0"):
        losses.ctc_beam_search(np.zeros((1, 2, 3)), beam_width=0)
    with pytest.raises(ValueError, match=r"ctc_greedy_decode: log_probs must be a floating \(N, T, C\)"):
        losses.ctc_greedy_decode(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"ctc_beam_search: input_lengths must lie in \[1, 2\]"):
        losses.ctc_beam_search(np.zeros((1, 2, 3)), [3])
    with pytest.raises(ValueError, match="ctc_greedy_decode: blank=3 is not a class"):
        losses.ctc_greedy_decode(np.zeros((1, 2, 3)), blank=3)
