"""Gradient accumulation over k micro-batches."""
from .checks import check_int, check_nonnegative
from .clip import clip_grad_norm


class GradientAccumulator:
    """Take one optimizer step per ``steps`` micro-batches, as if their samples
    had formed one batch::

        acc = optim.GradientAccumulator(opt, steps=4)
        for X, y in micro_batches:                 # each of the same size B
            loss.forward(net(X), y)                # mean-reduced loss
            net.backward(loss.backward())          # gradients add up (+=)
            acc.step()                             # every 4th call: update
        acc.flush()                                # a left-over partial group

    Backward accumulates gradients with ``+=``, so after k micro-batches each
    gradient holds Σᵢ ∇Lᵢ. With mean-reduced losses over equal-sized
    micro-batches, the gradient of the mean loss over all k·B samples is
    (1/k)·Σᵢ ∇Lᵢ: on the k-th call ``step`` multiplies the gradients by 1/k,
    optionally clips them by global norm (``max_norm``, ``norm_type``; clipping
    sees the same gradient as one big batch would), calls ``optimizer.step()``
    and ``optimizer.zero_grad()``, and returns True (otherwise False).
    ``flush`` does the same for a partial group of c < k micro-batches, scaling
    by 1/c (exact when those c micro-batches have equal sizes).

    The update equals that of one k-times larger batch for layers without batch
    statistics. BatchNorm differs: it normalizes each micro-batch with that
    micro-batch's own mean and variance (noisier than one big batch) and updates
    its running statistics once per micro-batch, i.e. k times per optimizer step.
    Dropout draws fresh masks per micro-batch, which is harmless.
    Take checkpoints right after a step (``pending == 0``): gradients of a
    partial group are not part of any state_dict.
    """

    def __init__(self, optimizer, steps, max_norm=None, norm_type=2.0):
        check_int("GradientAccumulator", "steps", steps, 1)
        if max_norm is not None:
            check_nonnegative("GradientAccumulator", max_norm=max_norm)
        self.optimizer = optimizer
        self.steps = int(steps)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.pending = 0       # micro-batches accumulated since the last update

    def step(self):
        """Count one micro-batch whose backward has run; update on the k-th."""
        self.pending += 1
        if self.pending < self.steps:
            return False
        return self.flush()

    def flush(self):
        """Update with what has accumulated so far (if anything); True if it stepped."""
        if not self.pending:
            return False
        params = self.optimizer.parameters()
        if self.pending > 1:
            scale = 1.0 / self.pending
            for p in params:
                if p.requires_grad:
                    p.grad *= scale
        if self.max_norm is not None:
            clip_grad_norm(params, self.max_norm, self.norm_type)
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.pending = 0
        return True

    def __repr__(self):
        clip = f", max_norm={self.max_norm}" if self.max_norm is not None else ""
        return f"GradientAccumulator(steps={self.steps}{clip})"
