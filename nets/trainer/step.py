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
