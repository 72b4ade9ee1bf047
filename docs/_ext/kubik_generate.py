"""Sphinx extension: pages generated from the code at the start of every build.

    generated/api_<package>.rst   the API reference: every public class and function
                                  that ``kubik``, ``kubik.<package>``, ``kubik.layers.testing``,
                                  ``kubik.nets.augment``, ``kubik.nets.distributed``, ``kubik.nets.sweep`` and
                                  ``kubik.nets.onnx_export`` export, via autodoc (each package page opens with
                                  its map of rooms: the
                                  package's docstring)
    generated/cli_<command>.rst   one page per ``kubik`` sub-command, from the argparse parser
    generated/registries.rst      every registered layer, loss, optimizer, schedule, data set, transform

It also copies MathJax (from the ``django-static-mathjax`` package) into the static
files, and turns into build warnings (the build runs with -W, so these fail it) a
public object without a docstring and an executed cell whose output shows a memory
address (``Generator(PCG64) at 0x7F...``: noise that changes on every build); it
also keeps the tutorials' kernels from logging warnings (see ``quiet_kernels``).
"""
import inspect
import pathlib
import re
import shutil

from sphinx.util import logging

log = logging.getLogger(__name__)
HERE = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("kubik", "layers", "layers.testing", "losses", "optim", "nets", "nets.augment", "nets.distributed",
            "nets.sweep", "nets.onnx_export")   # "kubik": the package itself


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:   # unchanged files keep their time stamps
        path.write_text(text)


def _title(text, ch="="):
    return f"{text}\n{ch * len(text)}\n"


def _module(package):
    return "kubik" if package == "kubik" else f"kubik.{package}"


def public_objects(package):
    """(name, object) of the public classes and functions ``kubik.<package>`` exports."""
    import importlib
    mod = importlib.import_module(_module(package))
    out = []
    for name, obj in vars(mod).items():
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        out.append((name, obj))
    return mod, out


def api_page(package, seen=None):
    """The autodoc page of ``package``; an object already documented on an earlier
    page (``seen``: id -> documented name) is linked there, not documented twice."""
    seen = {} if seen is None else seen
    mod, objs = public_objects(package)
    again = [(n, o) for n, o in objs if id(o) in seen]
    objs = [(n, o) for n, o in objs if id(o) not in seen]
    name = _module(package)
    lines = [f".. _api-{package.replace('.', '-')}:", "", _title(name),
             f".. automodule:: {name}", "   :no-members:", "", ".. currentmodule:: " + name, ""]
    data = [(n, o) for n, o in vars(mod).items() if not n.startswith("_") and type(o).__name__ == "Registry"]
    if data:
        lines += ["Registries: " + ", ".join(f"``{n}``" for n, _ in data)
                  + " (a name -> class table; see :doc:`registries`).", ""]
    if again:
        lines += ["Also exported here, documented with the package that exports them too: "
                  + ", ".join(f":{'class' if inspect.isclass(o) else 'func'}:`{n} <{seen[id(o)]}>`"
                              for n, o in again) + ".", ""]
    for name, obj in objs:
        seen[id(obj)] = f"{mod.__name__}.{name}"
        lines += [_title(name, "-")]
        if inspect.isclass(obj):
            lines += [f".. autoclass:: {name}", "   :members:", "   :undoc-members:", "   :show-inheritance:", ""]
        else:
            lines += [f".. autofunction:: {name}", ""]
    return "\n".join(lines)


def _argument_rows(sub):
    rows = []
    for a in sub._actions:
        if a.dest == "help":
            continue
        name = ", ".join(a.option_strings) if a.option_strings else (a.metavar or a.dest)
        if a.option_strings and a.nargs != 0:
            name += " " + (a.metavar or a.dest.upper())
        bits = [a.help or ""]
        if a.choices:
            bits.append("one of " + ", ".join(map(str, a.choices)))
        if a.option_strings and a.default not in (None, False, [], argparse_suppress()):
            bits.append(f"default {a.default}")
        rows.append((name, "; ".join(b for b in bits if b) or "-"))
    return rows


def argparse_suppress():
    import argparse
    return argparse.SUPPRESS


def cli_pages():
    from kubik.nets.cli.parser import parser
    p = parser()
    sp = p._subparsers._group_actions[0]
    helps = {a.dest: a.help for a in sp._choices_actions}
    pages = {}
    for name, sub in sp.choices.items():
        usage = sub.format_usage().replace("usage: ", "").strip()
        lines = [f".. _cli-{name}:", "", _title(f"kubik {name}"), helps.get(name, "") + ".", "",
                 "::", "", "   " + "\n   ".join(usage.splitlines()), ""]
        rows = _argument_rows(sub)
        if rows:
            lines += [".. list-table::", "   :header-rows: 1", "   :widths: 30 70", "",
                      "   * - argument", "     - meaning"]
            for arg, text in rows:
                lines += [f"   * - ``{arg}``", f"     - {text}"]
        else:
            lines += ["It takes no arguments."]
        lines += ["", "(Generated from ``kubik.nets.cli.parser.parser()``.)", ""]
        pages[name] = "\n".join(lines)
    index = [_title("Command line"), "One page per ``kubik`` command, generated from its argparse parser.",
             "Every command reports a mistake as one line and exit status 2.", "",
             ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   cli_{n}" for n in pages] + [""]
    return pages, "\n".join(index)


def _first_line(obj):
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def registries_page():
    from kubik import layers, losses, nets, optim
    layers.load_plugins()
    tables = [("Layers", "layers", layers.LAYERS), ("Losses", "losses", losses.LOSSES),
              ("Optimizers", "optim", optim.OPTIMIZERS), ("Learning-rate schedules", "optim", optim.SCHEDULES),
              ("Data sets", "nets", nets.DATASETS), ("Data transforms", "nets.augment", nets.augment.TRANSFORMS)]
    lines = [_title("Everything registered"),
             "Generated from the registries at build time (``kubik layers`` prints the same names).", ""]
    for title, pkg, reg in tables:
        lines += [_title(f"{title} ({len(reg)})", "-"), ".. list-table::", "   :header-rows: 1",
                  "   :widths: 25 75", "", "   * - name", "     - what it is"]
        for name, obj in reg.items():
            public = getattr(__import__(f"kubik.{pkg}", fromlist=["x"]), getattr(obj, "__name__", ""), None) is obj
            ref = f":class:`{name} <kubik.{pkg}.{obj.__name__}>`" if public and inspect.isclass(obj) else f"``{name}``"
            lines += [f"   * - {ref}", f"     - {_first_line(obj) or '-'}"]
        lines.append("")
    return "\n".join(lines)


def generate(app):
    if not app.config.kubik_generate:
        return
    out = pathlib.Path(app.srcdir) / "generated"
    seen = {}
    for pkg in PACKAGES:
        _write(out / f"api_{pkg.replace('.', '_')}.rst", api_page(pkg, seen))
    pages, index = cli_pages()
    for name, text in pages.items():
        _write(out / f"cli_{name}.rst", text)
    _write(out / "cli.rst", index)
    _write(out / "registries.rst", registries_page())
    _write(out / "api.rst", "\n".join([
        _title("API reference"),
        "Generated by autodoc from the docstrings of every public class and function that",
        "``kubik``, ``kubik.layers``, ``kubik.layers.testing``, ``kubik.losses``, ``kubik.optim``,",
        "``kubik.nets``, ``kubik.nets.augment``, ``kubik.nets.distributed``, ``kubik.nets.sweep`` and",
        "``kubik.nets.onnx_export`` (ONNX converters for your own layers) export.",
        "Each package's page opens with the map of its rooms (``kubik.layers``: ``core/``, ``activations/``,",
        "``conv/``, ...;",
        "``kubik.nets``: ``containers/``, ``trainer/``, ``inference/``, ...); every name is",
        "imported from the package, wherever its module lives.", "",
        ".. toctree::", "   :maxdepth: 1", ""] + [f"   api_{p.replace('.', '_')}" for p in PACKAGES] + [""]))


def copy_mathjax(app):
    import mathjax   # the django-static-mathjax package (MathJax 3's files)
    src = pathlib.Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg.js"
    dst = pathlib.Path(app.srcdir) / "_build_static" / "mathjax" / "tex-svg.js"
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists() or dst.stat().st_size != src.stat().st_size:
        shutil.copyfile(src, dst)


ARG = re.compile(r"^\s*[\w*, ]+ -- ")


def argument_lists(lines):
    """``name -- text`` lines (with indented continuations) become separate
    definition-list items: a blank line before each."""
    i = 1
    while i < len(lines):
        if ARG.match(lines[i]) and lines[i - 1].strip():
            lines.insert(i, "")
            i += 1
        i += 1


def literal_blocks(lines):
    """kubik's docstrings indent formulas and code under a line ending in ':';
    make each such block a literal block (``::``) so it keeps its layout."""
    for i in range(len(lines) - 2):
        line = lines[i].rstrip()
        if line.endswith(":") and not line.endswith("::") and not lines[i + 1].strip():
            nxt = next((l for l in lines[i + 2:] if l.strip()), "")
            indent = len(line) - len(line.lstrip())
            if len(nxt) - len(nxt.lstrip()) > indent:
                lines[i] = line + ":"


def check_docstring(app, what, name, obj, options, lines):
    argument_lists(lines)
    literal_blocks(lines)
    if name.startswith("kubik") and what in ("class", "function", "method", "property") and not any(l.strip() for l in lines):
        log.warning(f"kubik docs: {what} {name} has no docstring (the API reference needs one)")


ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}")


def check_outputs(app, doctree):
    """A cell output (MyST-NB renders them as literal blocks of class 'output') that
    shows an object's memory address: the cell should end in a statement, not an
    expression whose repr is an address."""
    from docutils import nodes
    for node in doctree.findall(nodes.literal_block):
        if "output" in node.get("classes", []):
            found = ADDRESS.search(node.astext())
            if found:
                line = next(l for l in node.astext().splitlines() if found.group() in l)
                log.warning(f"kubik docs: a cell's output shows a memory address ({line.strip()[:80]}); "
                            "end the cell with a statement (or `;`)", location=node)


def quiet_kernels(app, config):
    """The tutorials' Jupyter kernels start with an IPython profile of their own (a
    fresh IPYTHONDIR for this build: no user startup files, no history written to
    the user's) whose kernel log level is ERROR. ipykernel otherwise logs, once per
    tutorial, "Kernel is running over TCP without encryption": MyST-NB's kernel
    manager takes no configuration, and the kernel only talks to this process on
    localhost. A cell that raises still fails the build (nbclient reports it)."""
    import atexit
    import os
    import tempfile
    home = pathlib.Path(tempfile.mkdtemp(prefix="kubik-docs-ipython-"))
    atexit.register(shutil.rmtree, home, True)
    (home / "profile_default").mkdir()
    (home / "profile_default" / "ipython_kernel_config.py").write_text('c.IPKernelApp.log_level = "ERROR"\n')
    os.environ["IPYTHONDIR"] = str(home)   # the kernels are this process's children


def setup(app):
    app.add_config_value("kubik_generate", True, "env")   # False: only the docstring and output checks (tests)
    app.connect("config-inited", quiet_kernels)
    app.connect("doctree-read", check_outputs)
    app.connect("config-inited", lambda app, config: config.kubik_generate and copy_mathjax(app))
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", check_docstring)
    return {"version": "1.0", "parallel_read_safe": True}
