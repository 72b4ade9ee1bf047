"""The documentation sources: the Python examples of the guides (moved there
from README.md) run as written, and README's links into docs/ point at files."""
import pathlib
import re

import numpy as np
import pytest

from kubik import layers

ROOT = pathlib.Path(__file__).resolve().parent.parent
GUIDES = sorted((ROOT / "docs" / "guide").glob("*.md"))
BLOCKS = [(g.name, i, code) for g in GUIDES
          for i, code in enumerate(re.findall(r"```python\n(.*?)```", g.read_text(), re.S))]


def test_guides_have_examples():
    assert len(GUIDES) >= 10 and len(BLOCKS) >= 5


@pytest.mark.parametrize("name,i,code", BLOCKS, ids=[f"{n}-{i}" for n, i, _ in BLOCKS])
def test_guide_python_block_runs(name, i, code):
    saved = dict(layers.LAYERS._table)  # examples may register layers: leave the registry as it was
    try:
        exec(compile(code, f"docs/guide/{name}", "exec"), {"__name__": "docs_example"})
    finally:
        layers.LAYERS._table.clear()
        layers.LAYERS._table.update(saved)


def test_readme_links_into_docs_exist():
    links = re.findall(r"\]\((docs/[^)]+)\)", (ROOT / "README.md").read_text())
    assert len(links) >= 10
    missing = [l for l in links if not (ROOT / l).exists()]
    assert missing == []


def test_every_tutorial_is_in_the_index_and_executed():
    index = (ROOT / "docs" / "index.md").read_text()
    for t in sorted((ROOT / "docs" / "tutorials").glob("*.md")):
        assert f"tutorials/{t.stem}" in index
        assert "file_format: mystnb" in t.read_text()   # MyST-NB executes it at build time


# -- the build fails on what it must fail on (tiny Sphinx projects, no tutorials) -----------------

PROBE = '''
def documented(x):
    """Twice ``x``."""
    return 2 * x


def undocumented(x):
    return 2 * x
'''


def _build(tmp_path, index, parser="myst_parser"):
    import subprocess
    import sys
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "kubik_docs_probe.py").write_text(PROBE)
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(ROOT / 'docs' / '_ext')!r}, {str(tmp_path)!r}]\n"
        f"extensions = [{parser!r}, 'sphinx.ext.autodoc', 'kubik_generate']\n"
        "kubik_generate = False\nnb_execution_mode = 'force'\nnb_execution_raise_on_error = True\n")
    (src / "index.md").write_text(index)
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(src), str(tmp_path / "out")], capture_output=True, text=True)


def test_docs_build_passes_for_a_documented_function(tmp_path):
    r = _build(tmp_path, "# Probe\n\n```{eval-rst}\n.. autofunction:: kubik_docs_probe.documented\n```\n")
    assert r.returncode == 0, r.stderr


def test_docs_build_fails_on_a_missing_docstring(tmp_path):
    r = _build(tmp_path, "# Probe\n\n```{eval-rst}\n.. autofunction:: kubik_docs_probe.undocumented\n```\n")
    assert r.returncode != 0 and "kubik_docs_probe.undocumented has no docstring" in r.stderr


def test_docs_build_fails_on_a_broken_internal_link(tmp_path):
    r = _build(tmp_path, "# Probe\n\nSee [the tutorial](tutorials/missing.md).\n")
    assert r.returncode != 0 and "missing" in r.stderr


def test_docs_build_fails_on_a_failing_tutorial_cell(tmp_path):
    page = ("---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
            "# Probe\n\n```{code-cell} python\nraise ValueError('this example is broken')\n```\n")
    r = _build(tmp_path, page, parser="myst_nb")
    assert r.returncode != 0 and "ExecutionError" in r.stderr   # the cell raised: no site


def test_readme_yaml_example_is_a_valid_config(tmp_path):
    from kubik import nets
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks
    for i, text in enumerate(blocks):
        path = tmp_path / f"readme{i}.yaml"
        path.write_text(text)
        cfg, _ = nets.load_config(str(path), sets=["train.epochs=1"])
        exp = nets.build_experiment(cfg)
        assert exp.net.forward(np.zeros((2, 64), np.float32)).shape == (2, 10)


def test_py_typed_ships():
    assert (ROOT / "kubik" / "py.typed").exists()
    assert 'kubik = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


def test_docs_build_fails_on_an_output_that_shows_a_memory_address(tmp_path):
    """A cell ending in an expression whose repr is an address (``layers.seed(0)`` showed
    ``Generator(PCG64) at 0x7FE1E06D03C0`` in the backprop tutorial) fails the build."""
    page = ("---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
            "# Probe\n\n```{code-cell} python\nimport numpy as np\nnp.random.default_rng(0)\n```\n")
    (tmp_path / "bad").mkdir(), (tmp_path / "good").mkdir()
    r = _build(tmp_path / "bad", page, parser="myst_nb")
    assert r.returncode != 0 and "memory address" in r.stderr and "Generator(PCG64) at 0x" in r.stderr
    ok = page.replace("np.random.default_rng(0)\n", "rng = np.random.default_rng(0)\nprint(rng.integers(9))\n")
    r = _build(tmp_path / "good", ok, parser="myst_nb")
    assert r.returncode == 0, r.stderr


def test_docs_build_runs_its_kernels_without_the_tcp_warning(tmp_path):
    page = ("---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
            "# Probe\n\n```{code-cell} python\nprint(2 + 2)\n```\n")
    r = _build(tmp_path, page, parser="myst_nb")
    assert r.returncode == 0, r.stderr
    assert "without encryption" not in r.stdout + r.stderr
