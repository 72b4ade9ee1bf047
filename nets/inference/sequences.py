"""Reading the outputs of a CTC model: label sequences as text, and how close they are to
the truth (edit distance).

    edit_distance([1, 2, 3], [1, 3])        -> 1       (Levenshtein: insertions, deletions, substitutions)
    sequence_scores(predicted, truth)       -> (whole sequences right, 1 − Σ edits / Σ true labels)
    as_text([3, 1, 4], ["0", ..., "9", "blank"], blank=10)     -> "314"
"""
from ... import losses

from ..builders.task import label_rows
from ..trainer.evaluation import predict


def edit_distance(a, b):
    """The least number of insertions, deletions and substitutions that turn ``a`` into ``b``."""
    a, b = list(a), list(b)
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, z in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != z)))
        prev = cur
    return prev[-1]


def sequence_scores(predicted, truth):
    """(fraction of sequences predicted exactly, label accuracy 1 − Σ edit distances / Σ true
    lengths); (None, None) for no sequences."""
    if not len(truth):
        return None, None
    exact = sum(list(p) == list(t) for p, t in zip(predicted, truth)) / len(truth)
    labels = sum(len(t) for t in truth)
    edits = sum(edit_distance(p, t) for p, t in zip(predicted, truth))
    return exact, (1.0 - edits / labels if labels else float(edits == 0))


def as_text(seq, classes, blank=None):
    """Labels as their class names, joined without a separator when every name but the blank's
    is one character."""
    names = [str(classes[i]) for i in seq]
    single = all(len(str(c)) == 1 for i, c in enumerate(classes) if i != blank)
    return ("" if single else " ").join(names)


def decode(log_probs, blank, beam=None):
    """Greedy (``beam`` None) or prefix-beam-search decoding of (N, T, C) outputs."""
    if beam is None:
        return losses.ctc_greedy_decode(log_probs, blank=blank)
    return losses.ctc_beam_search(log_probs, beam_width=beam, blank=blank)


def sequence_text(net, task, X, y, batch_size):
    """For a CTC model (``task.ctc``): the whole-sequence accuracy (greedy decoding) and the label
    accuracy 1 − Σ edit distances / Σ labels, as a line of text for ``kubik eval``; "" otherwise."""
    if getattr(task, "ctc", None) is None:
        return ""
    exact, labels = sequence_scores(decode(predict(net, X, batch_size), task.blank), label_rows(y, task.blank))
    return (f"\n  sequences right {100 * exact:.2f}% (greedy decoding), labels right {100 * labels:.2f}% "
            f"(1 - edit distance / labels)")
