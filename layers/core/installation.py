"""Which ``kubik`` is imported: a folder named ``kubik`` on ``sys.path`` (a clone of
the repository, when Python runs from the folder that holds it) shadows the
installed package.

Python's path finder takes a folder without ``__init__.py`` as a *namespace
package* when no regular package of that name comes earlier; an editable install
is found by a finder that comes after it. The clone's ``kubik/layers/`` then
imports as ``kubik.layers`` and seems to work, while ``kubik.nets.cli`` fails with
``cannot import name '__version__' from 'kubik' (unknown location)``. The check
below turns that into one message naming the folder.
"""
import sys


def shadowing_folders(package=None):
    """The folders that make ``kubik`` a namespace package ([] when it is the installed one)."""
    package = sys.modules.get("kubik") if package is None else package
    if package is None or getattr(package, "__file__", None) is not None:
        return []
    return [str(p) for p in getattr(package, "__path__", [])]


def check_installation(package=None):
    """ImportError naming the folder that shadows the installed kubik, if one does."""
    folders = shadowing_folders(package)
    if folders:
        raise ImportError(
            f"the folder {folders[0]} shadows the installed kubik: Python took it for the 'kubik' package "
            "(a namespace package: a folder of that name, such as a clone of the repository, in the "
            "current directory or on sys.path). Run from another folder or "
            "rename that folder; see 'Troubleshooting' in kubik's README.")
