"""Where a config came from, so that an error can be placed: the file name,
the YAML line of every entry and the overrides (``--set KEY=VALUE``, a sweep's
``--param KEY=SPACE``), each recorded as (path, the text that names it)."""
from contextlib import contextmanager

from .errors import ConfigError
from .problems import ConfigErrors


class Source:
    """Where a config came from: the file name, the YAML line of every entry
    and the ``--set`` overrides, used to place an error."""

    def __init__(self, name="<config>", lines=None, overrides=()):
        self.name, self.lines, self.overrides = name, dict(lines or {}), list(overrides)

    def where(self, path):
        """'file.yaml:7' for the longest known prefix of ``path`` (or the
        override that supplied it: '--set optimizer.lr=0.5')."""
        path = tuple(path)
        for spath, text in reversed(self.overrides):
            if path[:len(spath)] == spath or spath[:len(path)] == path and path:
                return text
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return f"{self.name}:{self.lines[path[:n]]}"
        return self.name

    def format(self, err):
        return f"{self.where(err.path)}: {err}"

    def line(self, path):
        """The YAML line of the longest known prefix of ``path`` (0: none; --set: after the file)."""
        path = tuple(path)
        if any(path[:len(s)] == s or s[:len(path)] == path and path for s, _ in self.overrides):
            return float("inf")
        return next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), 0)

    @contextmanager
    def placing(self):
        """Re-raise a ConfigError from the block as one placed by ``format``
        (ConfigErrors: each placed, in the order of their lines)."""
        try:
            yield self
        except ConfigErrors as e:
            errors = sorted(e.errors, key=lambda x: self.line(x.path))
            raise ConfigErrors([ConfigError(self.format(x)) for x in errors]) from None
        except ConfigError as e:
            raise ConfigError(self.format(e)) from None
