"""Registries by class name, used to build layers, losses, optimizers and
schedules from YAML configs.

    @register            # next to the class
    class Linear(Layer): ...

    LAYERS.get("Linear") -> the class
    LAYERS.get("Linaer") -> ValueError: unknown layer 'Linaer' (did you mean
                            'Linear'?); known: ...
"""
import difflib


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
        try:
            return self._table[name]
        except (KeyError, TypeError):
            raise ValueError(self.unknown_message(name)) from None

    def unknown_message(self, name):
        msg = f"unknown {self.kind} {name!r}"
        close = difflib.get_close_matches(str(name), self._table, n=1, cutoff=0.6)
        if not close:  # case-insensitive fallback: 'relu' -> 'ReLU'
            lower = {k.lower(): k for k in self._table}
            close = [lower[str(name).lower()]] if str(name).lower() in lower else []
        if close:
            msg += f" (did you mean {close[0]!r}?)"
        return msg + "; known: " + ", ".join(sorted(self._table))

    def names(self):
        return sorted(self._table)

    def items(self):
        return sorted(self._table.items())

    def __contains__(self, name):
        return name in self._table

    def __len__(self):
        return len(self._table)

    def __repr__(self):
        return f"Registry({self.kind!r}, {len(self._table)} entries)"


LAYERS = Registry("layer")
register = LAYERS.register
