"""How a training run stops before its last epoch: a callback's
``Trainer.request_stop`` or Ctrl-C (SIGINT) ends it after the current
optimizer step, saving last.npz; a second Ctrl-C aborts at once. Mixed into
nets.Trainer, which sets ``_stop`` / ``_stop_reason`` in its setup."""
from .outcome import Result


class Stopping:
    """The SIGINT handler and the Result of a run that ended (Trainer's)."""

    def _on_sigint(self, signum, frame):
        if self._stop:  # a second Ctrl-C: give up at once
            raise KeyboardInterrupt
        self._stop = True

    def _result(self, status, message=""):
        st = self.state
        return Result(status, st["epoch"], st["step"], st["best"], st["best_epoch"], message, self.history)

    def _interrupted(self, where, save=True):
        path = (self.save_checkpoint() if save else self.run_dir / "last.npz") if self.run_dir else None
        saved = f"; saved {path}" if path else " (no run folder: nothing saved)"
        if self._stop_reason:
            return self._result("stopped", f"{self._stop_reason} {where}{saved}")
        return self._result("interrupted", f"interrupted {where}{saved}")
