"""One step of an optimizer that re-evaluates the loss itself (``needs_closure``:
LBFGS): ``opt.step(closure)`` on the full batch, the closure calling forward and
backward as often as the line search asks.

Such an optimizer needs the same function on every call, so the loop gives it the
whole training set as one batch (``train.batch_size: full``) and refuses
mini-batches, gradient accumulation and clipping (``check_closure_settings``).
The step's loss is the closure's first value (before the update, as for the other
optimizers); a non-finite first value stops the run before the update (Diverged).
``on_before_step`` is called after that first evaluation, when the gradients at the
current weights are complete. Under several ranks each closure call reduces the loss
and the gradients over them, so every rank takes the same steps.
"""
from ..datasets.inputs import forward
from .step import scaled
from .callbacks import call
from .outcome import Diverged, diverged_message, kept_text


def needs_closure(optimizer):
    """Whether ``optimizer.step`` takes a closure that re-evaluates the model (LBFGS)."""
    return bool(getattr(optimizer, "needs_closure", False))


def check_closure_settings(optimizer, settings, batch_size, n, who="Trainer.fit"):
    """ValueError naming the setting when a closure optimizer is asked for mini-batches,
    accumulation or clipping; (key, message) pairs are returned for a config's errors."""
    name = type(optimizer).__name__
    problems = []
    if batch_size < n:
        problems.append(("batch_size", f"{name} evaluates the loss on the whole training set (its line search needs "
                                       f"the same function on every call), but batch_size is {batch_size} of {n} "
                                       f"samples; use batch_size: full"))
    if settings["accumulate"] > 1:
        problems.append(("accumulate", f"{name} takes the full batch in one step; gradient accumulation "
                                       f"(accumulate {settings['accumulate']}) does not apply, set it to 1"))
    for key in ("clip_norm", "clip_value"):
        if settings[key] is not None:
            problems.append((key, f"{name} needs the exact gradient for its line search; {key} does not apply, "
                                  f"set it to null"))
    return problems


class ClosureStep:
    """The Trainer's step for a closure optimizer (mixed into nets.Trainer)."""

    def _closure_step(self, xb, yb, bar, where):
        """Run ``optimizer.step(closure)`` on (xb, yb); returns (loss, loss sum, samples, stop)
        of the first evaluation."""
        net, loss, task, opt, dist = self.net, self.loss, self.task, self.optimizer, self.dist
        targets = task.targets(yb)
        first = {}                  # the first evaluation's numbers: the step's loss

        def closure():
            net.zero_grad()
            value = loss.forward(forward(net, xb), targets)
            value, loss_sum, count, nonfinite, stop = dist.sync_batch(value, len(yb), self._stop)
            at_start = not first
            if at_start:
                if nonfinite:
                    raise Diverged(diverged_message(f"the loss is {value} at step {self.state['step'] + 1} "
                                                    f"({where}); training stopped before that update",
                                                    kept_text(self.run_dir, self._saved)))
                first.update(value=value, loss_sum=loss_sum, count=count, stop=stop)
            grad = loss.backward()
            if dist.size > 1:       # each rank's share of the global batch
                grad = scaled(grad, len(yb) / count)
            net.backward(*grad) if type(grad) is tuple else net.backward(grad)
            dist.reduce_gradients(opt)
            if at_start:
                call(self.callbacks, "on_before_step", self)
            bar.update(1)
            bar.set_postfix(loss=f"{value:.4f}", iters=getattr(opt, "n_iter", "-"), refresh=False)
            return value

        opt.step(closure)
        return first["value"], first["loss_sum"], first["count"], first["stop"]
