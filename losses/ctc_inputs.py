"""The arguments of the CTC loss and decoders, checked once: each mistake is a
ValueError/TypeError naming the loss, the argument, what it got and what it needs."""
import numpy as np


def _ints(owner, name, value):
    a = np.asarray(value)
    if a.dtype.kind == "f" and a.size and np.array_equal(a, np.round(a)):
        a = a.astype(np.intp)
    if a.dtype.kind not in "iu" and a.size:
        raise TypeError(f"{owner!r}: {name} must hold integers, got dtype {a.dtype}")
    return a.astype(np.intp)


def check_log_probs(owner, log_probs, blank):
    """log_probs as a floating (N, T, C) array with T >= 1 and blank < C."""
    lp = np.asarray(log_probs)
    if lp.ndim != 3 or lp.dtype.kind != "f":
        raise ValueError(f"{owner!r}: log_probs must be a floating (N, T, C) array (batch first), got shape "
                         f"{lp.shape} dtype {lp.dtype}")
    N, T, C = lp.shape
    if T < 1 or C < 1:
        raise ValueError(f"{owner!r}: log_probs has shape {lp.shape}; it needs T >= 1 steps and C >= 1 classes")
    if blank >= C:
        raise ValueError(f"{owner!r}: blank={blank} is not a class of log_probs with C={C} classes")
    return lp


def check_input_lengths(owner, input_lengths, N, T):
    """(N,) input lengths in [1, T]; None: every sample has T steps."""
    if input_lengths is None:
        return np.full(N, T, np.intp)
    T_n = _ints(owner, "input_lengths", input_lengths).reshape(-1) if np.ndim(input_lengths) else None
    if T_n is None or T_n.shape != (N,):
        raise ValueError(f"{owner!r}: input_lengths must have shape ({N},), got {np.shape(input_lengths)}")
    if N and (T_n.min() < 1 or T_n.max() > T):
        raise ValueError(f"{owner!r}: input_lengths must lie in [1, {T}] (T of log_probs), got min {T_n.min()} "
                         f"max {T_n.max()}")
    return T_n


def _padded(owner, tg, target_lengths, N, blank):
    """2-d targets and their lengths; lengths left out are counted up to each row's padding."""
    S = tg.shape[1]
    if target_lengths is None:
        pad = (tg == blank) | (tg < 0)
        S_n = np.where(pad.any(1), pad.argmax(1), S).astype(np.intp)
        inside = np.arange(S)[None, :] < S_n[:, None]
        if (pad != ~inside).any():
            n = int(np.argmax((pad != ~inside).any(1)))
            raise ValueError(f"{owner!r}: targets row {n} has a label after its padding (the blank {blank} or a "
                             f"negative value); give target_lengths, or pad only at the end")
        return tg, S_n
    S_n = _ints(owner, "target_lengths", target_lengths)
    if S_n.shape != (N,):
        raise ValueError(f"{owner!r}: target_lengths must have shape ({N},), got {np.shape(target_lengths)}")
    if N and (S_n.min() < 0 or S_n.max() > S):
        raise ValueError(f"{owner!r}: target_lengths must lie in [0, {S}] (the width of targets), got min "
                         f"{S_n.min()} max {S_n.max()}")
    return tg, S_n


def _concatenated(owner, tg, target_lengths, N):
    """1-d concatenated targets (torch's second form) as padded rows."""
    if target_lengths is None:
        raise ValueError(f"{owner!r}: 1-d (concatenated) targets need target_lengths")
    S_n = _ints(owner, "target_lengths", target_lengths)
    if S_n.shape != (N,) or (N and S_n.min() < 0):
        raise ValueError(f"{owner!r}: target_lengths must be ({N},) lengths >= 0, got {np.asarray(target_lengths)!r}")
    if int(S_n.sum()) != tg.size:
        raise ValueError(f"{owner!r}: concatenated targets hold {tg.size} labels, but target_lengths sum to "
                         f"{int(S_n.sum())}")
    S = int(S_n.max()) if N else 0
    rows = np.zeros((N, S), np.intp)
    inside = np.arange(S)[None, :] < S_n[:, None]
    rows[inside] = tg
    return rows, S_n


def check_ctc_inputs(owner, log_probs, targets, input_lengths, target_lengths):
    """(log_probs (N, T, C), targets (N, S) with the blank in every padded place, T_n (N,), S_n (N,))."""
    blank = owner.blank
    lp = check_log_probs(owner, log_probs, blank)
    N, T, C = lp.shape
    tg = _ints(owner, "targets", targets)
    if tg.ndim == 1:
        tg, S_n = _concatenated(owner, tg, target_lengths, N)
    elif tg.ndim == 2 and tg.shape[0] == N:
        tg, S_n = _padded(owner, tg, target_lengths, N, blank)
    else:
        raise ValueError(f"{owner!r}: targets must be ({N}, S) padded label rows or the 1-d concatenation of the "
                         f"label sequences, got shape {tg.shape} for log_probs {lp.shape}")
    T_n = check_input_lengths(owner, input_lengths, N, T)
    inside = np.arange(tg.shape[1])[None, :] < S_n[:, None]
    labels = tg[inside]
    if labels.size and (labels.min() < 0 or labels.max() >= C):
        raise ValueError(f"{owner!r}: target labels must lie in [0, {C}) (C of log_probs), got min {labels.min()} "
                         f"max {labels.max()}")
    if labels.size and (labels == blank).any():
        n = int(np.argmax(((tg == blank) & inside).any(1)))
        raise ValueError(f"{owner!r}: targets row {n} holds the blank {blank} inside its label sequence (its "
                         f"first {int(S_n[n])} labels); the blank cannot be a target label")
    return lp, np.where(inside, tg, blank).astype(np.intp), T_n, S_n
