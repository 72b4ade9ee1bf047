"""One optimizer step's arithmetic: how much each micro-batch of an
accumulated group weighs, and the clipped update.

With ``accumulate: k``, k micro-batches make one optimizer step; each
micro-batch's loss gradient is weighted by its share of the group's samples
(1/k for equal sizes), so for a mean-reduced loss the step equals that of one
k-times larger batch, a short last group included.
"""
from ... import optim


def group_share(b, size, k, batch_size, n):
    """The share of micro-batch ``b`` (``size`` samples) in its group of ``k``
    micro-batches of ``batch_size`` over ``n`` samples."""
    group = b - b % k
    return size / (min((group + k) * batch_size, n) - group * batch_size)


def scaled(grad, share):
    """The loss's gradient times ``share`` (in place for one array; a tuple, one per
    output of a net with several, gets new arrays: its entries may be one object twice)."""
    if type(grad) is tuple:
        return tuple(None if g is None else g * share for g in grad)
    grad *= share
    return grad


def update(optimizer, clip_norm=None, clip_value=None):
    """One optimizer step from the accumulated (already weighted) gradients,
    clipped first; the gradients are zeroed after."""
    params = optimizer.parameters()
    if clip_norm is not None:
        optim.clip_grad_norm(params, clip_norm)
    if clip_value is not None:
        optim.clip_grad_value(params, clip_value)
    optimizer.step()
    optimizer.zero_grad()
