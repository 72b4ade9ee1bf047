"""The documentation sources: the Python examples of the guides (moved there
from README.md) run as written, and README's links into docs/ point at files."""
import pathlib
import re

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
