"""The rooms of the source tree (issue 23): every folder of modules is a package, the
arrows between the four packages point one way, and no module imports itself back
through others (an import circle), read from the source with ast."""
import ast
import graphlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOPS = {"layers": "kubik.layers", "losses": "kubik.losses", "optim": "kubik.optim", "nets": "kubik.nets",
        "kubik": "kubik"}
ALLOWED = {"kubik.layers": set(), "kubik.losses": {"kubik.layers"}, "kubik.optim": {"kubik.layers"},
           "kubik.nets": {"kubik.layers", "kubik.losses", "kubik.optim"}}


def _modules():
    out = {}
    for top, dotted in TOPS.items():
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT / top).with_suffix("").parts
            is_pkg = parts[-1] == "__init__"
            name = ".".join((dotted,) + (parts[:-1] if is_pkg else parts))
            out[name] = (path, is_pkg)
    return out


def _imports(name, path, is_pkg, modules):
    """The kubik modules ``name`` imports (anywhere in it, functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[:len(name.split(".")) - (node.level - (1 if is_pkg else 0))]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [base + "." + a.name for a in node.names] + [base]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name and t != "kubik":
                found.add(t)
    return found


def _graph(modules):
    g = {}
    for name, (path, is_pkg) in modules.items():   # an edge to one's own package's __init__ is a re-export
        g[name] = {t for t in _imports(name, path, is_pkg, modules) if not (name.startswith(t + ".") and modules[t][1])}
    return g


def test_every_folder_of_modules_is_a_package():
    for top in ("layers", "losses", "optim", "nets"):
        for folder in {p.parent for p in (ROOT / top).rglob("*.py")}:
            assert (folder / "__init__.py").exists(), f"{folder.relative_to(ROOT)} has modules but no __init__.py"


def test_arrows_point_one_way():
    modules = _modules()
    for name, targets in _graph(modules).items():
        top = ".".join(name.split(".")[:2])
        if top not in ALLOWED:
            continue
        for t in targets:
            other = ".".join(t.split(".")[:2])
            assert other == top or other in ALLOWED[top], f"{name} imports {t}: {top} may not import {other}"


def test_no_import_circle():
    try:
        tuple(graphlib.TopologicalSorter(_graph(_modules())).static_order())
    except graphlib.CycleError as e:
        pytest.fail("import circle: " + " -> ".join(e.args[1]))


def test_a_circle_would_be_noticed(monkeypatch):
    """Negative control: containers/spec.py importing the model builder back (as it did) is a circle."""
    modules = _modules()
    graph = _graph(modules)
    graph["kubik.nets.containers.spec"].add("kubik.nets.builders")
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter(graph).static_order())
    monkeypatch.setitem(ALLOWED, "kubik.layers", set())
    assert "kubik.layers.core.layer" in graph and "kubik.layers.runtime.flat" in graph["kubik.layers.core.layer"]
