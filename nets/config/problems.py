"""Every mistake of a config in one run: independent checks report into one
``Problems`` collection instead of stopping at the first, and the collection
is raised as one ``ConfigErrors`` (a ConfigError of several lines, each one
mistake at its ``file:line``).

    problems = Problems()
    with problems.check():          # a ConfigError inside is recorded, the block ends
        check_train(cfg["train"])
    loss = problems.run(build_loss, cfg["loss"])   # the result, or None when it failed
    problems.raise_all()            # nothing, the one ConfigError, or ConfigErrors

A check that needs what a failed one would have made is skipped (the loss
cannot be fitted to a model that was not built), so each line is a mistake of
its own, not a consequence. ``broken`` names the config sections that failed
their schema check, for the builders to leave alone.
"""
from contextlib import contextmanager

from .errors import ConfigError

MAX_SHOWN = 20      # mistakes shown one per line; the rest are counted


class ConfigErrors(ConfigError):
    """Several config mistakes; ``errors`` holds one ConfigError each, and
    ``lines()`` the lines to show (at most MAX_SHOWN, then "... and N more")."""

    def __init__(self, errors):
        self.errors = list(errors)
        self.path, self.message = (), "\n".join(str(e) for e in self.errors)
        Exception.__init__(self, self.message)

    def lines(self, limit=MAX_SHOWN):
        shown = [str(e) for e in self.errors[:limit]]
        more = len(self.errors) - len(shown)
        return shown + ([f"... and {more} more mistake{'s' if more > 1 else ''} in the config"] if more else [])


class Problems:
    """The ConfigErrors met so far (see the module's docstring)."""

    def __init__(self):
        self.errors, self.broken = [], set()

    def __len__(self):
        return len(self.errors)

    def add(self, error):
        self.errors.extend(error.errors if isinstance(error, ConfigErrors) else [error])

    @contextmanager
    def check(self, section=None):
        """Record a ConfigError raised in the block (and mark ``section`` broken)."""
        try:
            yield self
        except ConfigError as e:
            self.add(e)
            if section is not None:
                self.broken.add(section)

    def run(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``, or None after recording its ConfigError."""
        with self.check():
            return fn(*args, **kwargs)
        return None

    def raise_all(self):
        """Raise what was recorded: the single ConfigError, or ConfigErrors of them all."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(self.errors)
