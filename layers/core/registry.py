"""Registries by class name, used to build layers, losses, optimizers and
schedules from YAML configs.

    @register            # next to the class
    class Linear(Layer): ...

    LAYERS.get("Linear") -> the class
    LAYERS.get("Linaer") -> ValueError: unknown layer 'Linaer' (did you mean
                            'Linear'?); known: ...

Installed packages add names through the entry-point group ``kubik.plugins``
(``[project.entry-points."kubik.plugins"] mylayers = "kubik_mylayers"``): the
first time any registry misses a name, every plugin of the group is imported
once (a module registers by its decorators; a callable entry is called with no
arguments) and the lookup is tried again.
"""
import difflib
from importlib import metadata

PLUGIN_GROUP = "kubik.plugins"
_plugins = {"loaded": False}


def _entry_points(group):
    eps = metadata.entry_points()
    return eps.select(group=group) if hasattr(eps, "select") else eps.get(group, ())


def load_plugins(force=False):
    """Import every ``kubik.plugins`` entry point (once; again with ``force``).
    Returns the names loaded. A plugin that fails to load is a ValueError
    naming it and its own error."""
    if _plugins["loaded"] and not force:
        return []
    _plugins["loaded"] = True
    names = []
    for ep in sorted(_entry_points(PLUGIN_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
            if callable(obj) and not isinstance(obj, type):
                obj()
        except Exception as e:  # a broken plugin is named, with its own message
            first = str(e).splitlines()[0] if str(e) else ""
            raise ValueError(f"plugin {ep.name!r} ({ep.value}, entry point group {PLUGIN_GROUP}) failed to load: "
                             f"{type(e).__name__}: {first}") from None
        names.append(ep.name)
    return names


class Registry:
    """A name -> class table for one kind of building block."""

    def __init__(self, kind):
        self.kind = kind
        self._table = {}

    def register(self, cls=None, *, name=None):
        """Decorator: ``@registry.register`` or ``@registry.register(name=...)``."""
        def add(c):
            key = name or c.__name__
            old = self._table.get(key)
            if old is not None and old is not c and (old.__module__, old.__qualname__) != (c.__module__, c.__qualname__):
                raise ValueError(f"{self.kind} registry: name '{key}' is already taken by {old.__module__}.{old.__qualname__}")
            self._table[key] = c
            return c
        return add(cls) if cls is not None else add

    def get(self, name):
        """The class registered as ``name`` (plugins are loaded on a miss); ValueError
        with the closest known name otherwise."""
        try:
            return self._table[name]
        except (KeyError, TypeError):
            pass
        if not _plugins["loaded"] and isinstance(name, str) and load_plugins():
            return self.get(name)
        raise ValueError(self.unknown_message(name))

    def unknown_message(self, name):
        """The error text for an unknown ``name``: a close match and every known name."""
        msg = f"unknown {self.kind} {name!r}"
        close = difflib.get_close_matches(str(name), self._table, n=3, cutoff=0.6)
        swapped = [c for c in close if sorted(c) == sorted(str(name))]   # 'Adma' -> 'Adam', not 'Adamax'
        close = swapped or close[:1]
        if not close:  # case-insensitive fallback: 'relu' -> 'ReLU'
            lower = {k.lower(): k for k in self._table}
            close = [lower[str(name).lower()]] if str(name).lower() in lower else []
        if close:
            msg += f" (did you mean {close[0]!r}?)"
        return msg + "; known: " + ", ".join(sorted(self._table))

    def name_of(self, cls):
        """The name ``cls`` is registered under (its own name first), or None."""
        if self._table.get(cls.__name__) is cls:
            return cls.__name__
        return next((k for k, c in sorted(self._table.items()) if c is cls), None)

    def names(self):
        """The registered names, sorted."""
        return sorted(self._table)

    def items(self):
        """(name, class) pairs, sorted by name."""
        return sorted(self._table.items())

    def __contains__(self, name):
        return name in self._table

    def __len__(self):
        return len(self._table)

    def __repr__(self):
        return f"Registry({self.kind!r}, {len(self._table)} entries)"


LAYERS = Registry("layer")
register = LAYERS.register
