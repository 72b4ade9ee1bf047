"""Decoding CTC outputs into label sequences: greedy (best path) and prefix beam search.

    seqs = losses.ctc_greedy_decode(log_probs, input_lengths, blank=0)
    seqs = losses.ctc_beam_search(log_probs, input_lengths, beam_width=10, blank=0)

log_probs (N, T, C) batch first, as the CTC loss takes them (any scores whose argmax and
log-softmax mean the same will do for the greedy decoder). Both return a list of N label
sequences (lists of ints), blanks removed.
"""
import math

import numpy as np

from .ctc_inputs import check_input_lengths, check_log_probs


class _Decoder:
    """The owner named in argument errors."""

    def __init__(self, name, blank):
        if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) or blank < 0:
            raise ValueError(f"{name}: blank must be a class index >= 0, got {blank!r}")
        self.name, self.blank = name, int(blank)

    def __repr__(self):
        return self.name


def ctc_greedy_decode(log_probs, input_lengths=None, blank=0):
    """Best-path decoding: the most likely class at each step t < T_n, then repeats merged and
    blanks removed (B(argmax_c y_t(c))). A list of N lists of labels."""
    owner = _Decoder("ctc_greedy_decode", blank)
    lp = check_log_probs(owner, log_probs, owner.blank)
    N, T, _ = lp.shape
    T_n = check_input_lengths(owner, input_lengths, N, T)
    best = lp.argmax(axis=2)
    keep = best != owner.blank
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    keep &= np.arange(T)[None, :] < T_n[:, None]
    labels = best[keep].tolist()
    ends = np.cumsum(keep.sum(axis=1)).tolist()
    return [labels[a:b] for a, b in zip([0] + ends[:-1], ends)]


def ctc_beam_search(log_probs, input_lengths=None, beam_width=10, blank=0, return_scores=False):
    """Prefix beam search (Hannun et al., 2014): keeps the ``beam_width`` most probable label
    prefixes, each with two log-probabilities, of the paths ending in a blank (p_b) and in a
    label (p_nb). At each step t, with y = y_t:

        prefix ℓ, blank:               p_b(ℓ)   ⊕= (p_b + p_nb)(ℓ) · y(b)
        ℓ = ℓ'k, label k again:        p_nb(ℓ)  ⊕= p_nb(ℓ) · y(k)          (merged repeat)
        ℓ + c, c ≠ last label of ℓ:    p_nb(ℓc) ⊕= (p_b + p_nb)(ℓ) · y(c)
        ℓ + c, c = last label of ℓ:    p_nb(ℓc) ⊕= p_b(ℓ) · y(c)           (a blank separates repeats)

    (⊕ is addition, done as logaddexp). The result is the prefix of highest p_b + p_nb after T_n
    steps: the exact most probable labeling when the beam holds every prefix, an approximation
    otherwise. ``return_scores``: also return each result's log-probability. Python loops over
    samples, steps and beam entries: a decoder for evaluation, not for a training step."""
    owner = _Decoder("ctc_beam_search", blank)
    if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"ctc_beam_search: beam_width must be an integer >= 1, got {beam_width!r}")
    lp = np.asarray(check_log_probs(owner, log_probs, owner.blank), np.float64)
    N, T, C = lp.shape
    T_n = check_input_lengths(owner, input_lengths, N, T)
    results, scores = [], []
    for n in range(N):
        seq, score = _search(lp[n, :T_n[n]], int(beam_width), owner.blank)
        results.append(list(seq))
        scores.append(score)
    return (results, scores) if return_scores else results


def _lae(a, b):
    """log(e^a + e^b) of two Python floats (faster than np.logaddexp on scalars)."""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def _add(table, key, which, value):
    entry = table.get(key)
    if entry is None:
        entry = table[key] = [-math.inf, -math.inf]
    entry[which] = _lae(entry[which], value)


def _search(lp, beam_width, blank):
    beams = {(): (0.0, -math.inf)}
    labels = [c for c in range(lp.shape[1]) if c != blank]
    for y in lp.tolist():
        nxt = {}
        for prefix, (pb, pnb) in beams.items():
            total = _lae(pb, pnb)
            _add(nxt, prefix, 0, total + y[blank])
            last = prefix[-1] if prefix else None
            if last is not None:
                _add(nxt, prefix, 1, pnb + y[last])
            for c in labels:
                _add(nxt, prefix + (c,), 1, (pb if c == last else total) + y[c])
        ranked = sorted(nxt.items(), key=lambda kv: (-_lae(*kv[1]), kv[0]))   # ties: the smaller prefix
        beams = {k: tuple(v) for k, v in ranked[:beam_width]}
    best, (pb, pnb) = min(beams.items(), key=lambda kv: (-_lae(*kv[1]), kv[0]))
    return best, _lae(pb, pnb)
