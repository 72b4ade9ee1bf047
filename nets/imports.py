"""The user's own code in: the modules a config's ``imports:`` list (and the
``--import MODULE`` flags) name are imported before the config is built, so
the layers, losses, optimizers, schedules and data sets they register are
known by name.

An entry is a module name (``my_layers``, ``pkg.blocks``; looked up on
sys.path, then in the config's folder and the current folder) or a path to a
``.py`` file (``./swish.py``; relative to the config's folder). A file
imported by path also answers for the module name of its stem, so
``--import ./my_layers.py`` supplies a recorded ``my_layers``. The run's
config.yaml records every entry, paths made absolute, so ``kubik eval`` and
``kubik train --resume`` import them again without the flag.

A module that fails to import is a ConfigError at its entry, with the
module's own error message.

One file is one import, however it is named: ``imports: [swish, ./swish.py]``,
``imports: [swish]`` with ``--import ./swish.py``, or ``--import ./swish.py``
next to a recorded ``swish`` run once; a later spelling gets the module the
first one made (so the layers it registers are not registered twice).
"""
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from .config import ConfigError

_BY_STEM = {}   # stem -> module imported from a .py file, which then stands for the module of that name


def is_path(entry):
    """Whether an entry names a file (``./swish.py``, ``lib/x.py``) rather than a module."""
    return entry.endswith(".py") or "/" in entry or os.sep in entry


def _first_line(e):
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _same_file(path):
    """The module already imported from the file ``path`` (by any name), or None."""
    for module in list(sys.modules.values()):
        origin = getattr(module, "__file__", None)
        if origin and origin.endswith(".py") and Path(origin).name == path.name:
            try:
                if Path(origin).resolve() == path:
                    return module
            except OSError:
                continue
    return None


def _import_file(path):
    """Import a .py file as a module named after its stem (once per file, whatever
    name imported it first)."""
    name = f"kubik_user_{path.stem}_{abs(hash(str(path))) % 10**8}"
    if name in sys.modules:
        return _BY_STEM.setdefault(path.stem, sys.modules[name])
    same = _same_file(path)
    if same is not None:
        sys.modules[name] = same
        return _BY_STEM.setdefault(path.stem, same)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    _BY_STEM[path.stem] = module
    return module


def _import_name(name, folders):
    """``importlib.import_module(name)``, with ``folders`` on sys.path while it runs;
    a module whose file was imported already (by path) is that module."""
    extra = [str(f) for f in folders if str(f) not in sys.path]
    sys.path[:0] = extra
    try:
        if name not in sys.modules:
            spec = importlib.util.find_spec(name)
            origin = getattr(spec, "origin", None) if spec is not None else None
            same = _same_file(Path(origin).resolve()) if origin and origin.endswith(".py") else None
            if same is not None:
                sys.modules[name] = same
                return same
        return importlib.import_module(name)
    finally:
        for f in extra:
            if f in sys.path:
                sys.path.remove(f)


def import_one(entry, base=None, where=("imports",)):
    """Import one entry; returns what a run records for it (a path made
    absolute, or the module name). ConfigError at ``where`` on failure."""
    if not isinstance(entry, str) or not entry.strip():
        raise ConfigError(f"an import is a module name or a path to a .py file, got {entry!r}", where)
    entry = entry.strip()
    base = Path(base) if base is not None else Path.cwd()
    try:
        if is_path(entry):
            path = (base / os.path.expanduser(entry)).resolve()
            if not path.is_file():
                raise ConfigError(f"cannot import {entry!r}: no such file '{path}'", where)
            _import_file(path)
            return str(path)
        try:
            _import_name(entry, (base, Path.cwd()))
        except ModuleNotFoundError as e:
            if e.name != entry or entry not in _BY_STEM:
                raise
        return entry
    except ConfigError:
        raise
    except BaseException as e:  # the module's own error, whatever it is, in one line
        if isinstance(e, KeyboardInterrupt):
            raise
        raise ConfigError(f"cannot import module {entry!r}: {_first_line(e)}", where) from None


def apply_imports(cfg, base=None, extra=(), extra_label="--import", extra_base=None):
    """Import ``cfg['imports']`` (relative paths from folder ``base``) and the
    ``extra`` modules (``--import`` flags, relative to ``extra_base``, by default the current folder);
    record them all in ``cfg['imports']`` (paths absolute). Returns cfg."""
    flagged = []
    for entry in extra or ():   # first: a flag may supply a module the config names (--import ./my_layers.py)
        try:
            flagged.append(import_one(entry, extra_base or Path.cwd(), ()))
        except ConfigError as e:
            raise ConfigError(f"{extra_label} {entry}: {e}") from None
    recorded = [import_one(entry, base, ("imports", i)) for i, entry in enumerate(cfg.get("imports") or [])]
    cfg["imports"] = list(dict.fromkeys(recorded + flagged))
    return cfg


def import_modules(entries, base=None, label="--import"):
    """Import ``entries`` (module names or .py paths relative to ``base``,
    by default the current folder) outside any config; returns the recorded forms."""
    return apply_imports({"imports": []}, None, list(entries), label, base)["imports"]
