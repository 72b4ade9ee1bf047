"""Callbacks: code the training loop calls at fixed points, with the trainer
itself as argument (``trainer.net``, ``.loss``, ``.optimizer``, ``.schedule``,
``.state`` — ``state["step"]`` optimizer steps done, ``state["epoch"]``
epochs completed — and ``trainer.request_stop(reason)``).

    on_fit_start(trainer)            before the first step of this call of fit
    on_before_step(trainer)          the step's gradients are complete (after backward of
                                     its last micro-batch), before clipping and the update
    on_step_end(trainer, loss)       after each optimizer step (``loss``: the
                                     last micro-batch's loss before the update)
    on_epoch_end(trainer, row)       after an epoch's validation, metrics and
                                     checkpoints; ``row`` is its metrics dict
    on_fit_end(trainer, result)      when fit returns (not when it raises)

Subclass ``Callback`` and override what you need; the loop itself uses one
(``PeriodicCheckpoint``, for ``checkpoint_every``). A callback that changes the
weights or the optimizer's state changes the run: resume stays exact only if
the callback's own state is restored too.
"""


class Callback:
    """Does nothing at every point; override the methods you need."""

    def on_fit_start(self, trainer):
        """Called once before the first step (also when resuming)."""
        pass

    def on_before_step(self, trainer):
        """Called after backward, before the optimizer updates the parameters."""
        pass

    def on_step_end(self, trainer, loss):
        """Called after each optimizer step with the batch loss (a float)."""
        pass

    def on_epoch_end(self, trainer, row):
        """Called after each epoch with its History row (a dict)."""
        pass

    def on_fit_end(self, trainer, result):
        """Called once at the end with the Result."""
        pass


class PeriodicCheckpoint(Callback):
    """Write last.npz every ``every`` optimizer steps (the run needs ``out``)."""

    def __init__(self, every):
        self.every = int(every)

    def on_step_end(self, trainer, loss):
        if self.every and trainer.run_dir is not None and trainer.state["step"] % self.every == 0:
            trainer.save_checkpoint()


def checked(callbacks):
    """The callbacks as a list; TypeError for one that is not a Callback-like object."""
    out = list(callbacks or ())
    names = ("on_fit_start", "on_before_step", "on_step_end", "on_epoch_end", "on_fit_end")
    for cb in out:
        if not any(callable(getattr(cb, n, None)) for n in names):
            raise TypeError(f"Trainer: callbacks: {cb!r} has none of {', '.join(names)} (subclass nets.Callback)")
    return out


def call(callbacks, point, *args):
    """``point`` (a method name) of every callback that has it, in order."""
    for cb in callbacks:
        method = getattr(cb, point, None)
        if method is not None:
            method(*args)
