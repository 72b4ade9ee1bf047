"""A machine with only Python runs the README's commands green (issue 29): the
browser tests skip, with their reason, when the system programs are missing, and
CI turns that skip into a failure; every extra is complete on its own."""
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run_browser_tests(tmp_path, **env):
    """tests/test_docs_browser.py with a PATH that holds only this Python (no chromium)."""
    environ = {k: v for k, v in os.environ.items() if k != "KUBIK_REQUIRE_BROWSER"}
    environ.update(PATH=os.path.dirname(sys.executable), **env)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_docs_browser.py")],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)


def test_browser_tests_skip_with_their_reason_when_chromium_is_missing(tmp_path):
    out = _run_browser_tests(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 skipped" in out.stdout
    assert "chromium" in out.stdout and "chromedriver" in out.stdout
    # the skip comes before the (30 s) docs build, which would print sphinx's output or an error
    assert "error" not in out.stdout.lower()


def test_ci_switch_turns_the_skip_into_a_failure(tmp_path):
    out = _run_browser_tests(tmp_path, KUBIK_REQUIRE_BROWSER="1")
    assert out.returncode != 0
    assert "KUBIK_REQUIRE_BROWSER" in out.stdout


def test_ci_sets_the_switch_before_the_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    switch = ci.index("KUBIK_REQUIRE_BROWSER=1")
    assert switch < ci.index("\npytest")


def test_readme_explains_the_browser_skip():
    readme = (ROOT / "README.md").read_text()
    tests = readme[readme.index("Run the tests"):readme.index("## Quick start in Python")]
    assert "chromium" in tests and "KUBIK_REQUIRE_BROWSER" in tests and "skip" in tests


# ---- every extra works on its own: [docs] holds what the executed docs import ----

def _requirement_name(req):
    return re.split(r"[\s;<>=!~\[(]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _extras():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"], project["optional-dependencies"]


def _closure(names):
    """The distributions ``names`` bring along (their requirements, transitively, extras left out)."""
    from importlib import metadata
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_requirement_name(r) for r in requires if "extra ==" not in r and "extra==" not in r]
    return seen


def _docs_imports():
    """Top-level modules imported by the executed tutorials, the Sphinx config and extension."""
    sources = ["\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", p.read_text(), re.S))
               for p in (ROOT / "docs" / "tutorials").glob("*.md")]
    sources += [p.read_text() for p in [ROOT / "docs" / "conf.py", *(ROOT / "docs" / "_ext").glob("*.py"),
                                        ROOT / "docs" / "tutorials" / "_cli.py"]]
    text = "\n".join(sources)
    modules = set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", text, re.M))
    modules |= set(re.findall(r"^extensions\s*=\s*\[(.*?)\]", text, re.S | re.M)[0].split('"')[1::2])
    commands = {"export": "onnx", "plot": "matplotlib"}   # commands whose extra the tutorials run
    modules |= {mod for cmd, mod in commands.items() if f'cli("{cmd}"' in text}
    local = {"kubik", "_cli", "swish", "kubik_generate", "conf"}
    return {m.split(".")[0] for m in modules} - set(sys.stdlib_module_names) - local


def test_docs_extra_holds_every_package_the_docs_build_imports():
    from importlib import metadata
    core, extras = _extras()
    have = _closure({_requirement_name(r) for r in core + extras["docs"]})
    by_module = metadata.packages_distributions()
    missing = []
    for module in sorted(_docs_imports()):
        dists = {d.lower().replace("_", "-") for d in by_module.get(module, [module])}
        if not dists & have:
            missing.append(f"{module} ({', '.join(sorted(dists))})")
    assert not missing, f"the docs import these, which pip install '.[docs]' does not bring: {missing}"
    assert {"onnx", "onnxruntime", "matplotlib"} <= {_requirement_name(r) for r in extras["docs"]}


def test_ci_builds_the_docs_again_in_a_docs_only_venv():
    ci = (ROOT / ".ci" / "run").read_text()
    docs_only = ci[ci.index('pip install -e ".[docs]"'):]
    assert "sphinx-build" in docs_only and "-W" in docs_only
    before = ci[:ci.index('pip install -e ".[docs]"')]
    assert before.count("python3 -m venv") == 2      # the second venv is fresh, made for [docs] alone


# ---- a clone named 'kubik' in the current folder shadows the installed package ----

def _import_beside_a_clone(tmp_path, code):
    (tmp_path / "kubik").symlink_to(ROOT, target_is_directory=True)   # a clone named kubik, here
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)


def test_a_clone_named_kubik_in_the_current_folder_is_named_in_one_message(tmp_path):
    for i, code in enumerate(("from kubik.nets.cli import main", "from kubik import layers")):
        (tmp_path / str(i)).mkdir()
        r = _import_beside_a_clone(tmp_path / str(i), code)
        assert r.returncode == 1
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith("ImportError: the folder ") and "shadows the installed kubik" in last
        assert str(tmp_path) in last and "Troubleshooting" in last


def test_the_installed_kubik_is_not_reported(tmp_path):
    from kubik.layers.core.installation import check_installation, shadowing_folders
    import kubik
    assert shadowing_folders() == [] and check_installation() is None
    ns = type(sys)("kubik")
    ns.__path__ = [str(tmp_path / "kubik")]     # what Python makes of a folder without __init__.py
    assert shadowing_folders(ns) == [str(tmp_path / "kubik")]
    assert kubik.__file__


def test_readme_has_the_troubleshooting_section():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Troubleshooting"):]
    assert "shadows the installed kubik" in section and "unknown location" in section


def test_readme_and_layers_guide_state_the_dtype_policy():
    """float64 data into float32 layers gives float32 (the cast), not float64 outputs."""
    readme = (ROOT / "README.md").read_text()
    guide = (ROOT / "docs" / "guide" / "layers.md").read_text()
    for text in (readme, guide):
        assert "float64 data into a float32 net gives float32 outputs" in " ".join(text.split())
        assert "returns float64" not in text
    assert "TypeError" in readme and "strings" in guide
