"""The one exception of config handling, and the helpers that word its
messages: where (``model[2].Linear``) and a "did you mean" suggestion."""
import difflib
import reprlib

MAX_MESSAGE = 400        # characters of one error line; longer ones are cut in the middle

_short = reprlib.Repr()
_short.maxstring, _short.maxother, _short.maxlist, _short.maxdict, _short.maxlevel = 60, 60, 6, 6, 3


class ConfigError(Exception):
    """A mistake in a config or on the command line: one line, exit code 2."""

    def __init__(self, message, path=()):
        self.path = tuple(path)
        self.message = message = cut(str(message))
        super().__init__(f"{format_path(self.path)}: {message}" if self.path else message)


def short(value):
    """``repr(value)`` cut to a sane length (long strings, big or deep lists and
    mappings abbreviated with '...'), for echoing a value in a message."""
    return _short.repr(value)


def cut(text, limit=MAX_MESSAGE):
    """``text`` with its middle replaced by ' ... ' when longer than ``limit``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit - 100]} ... {text[-90:]}"


def format_path(path):
    """('model', 2, 'Linear') -> 'model[2].Linear'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def suggest(name, choices):
    """" (did you mean 'x'?)" or ""."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        lower = {str(c).lower(): str(c) for c in choices}
        close = [lower[str(name).lower()]] if str(name).lower() in lower else []
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown(what, name, choices):
    """"unknown <what> 'x' (did you mean 'y'?); known: a, b, c"."""
    return f"unknown {what} {name!r}{suggest(name, choices)}; known: {', '.join(choices)}"
