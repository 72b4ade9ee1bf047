"""The Python examples in README.md run as written."""
import pathlib
import re

import pytest

from kubik import layers

README = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(code):
    saved = dict(layers.LAYERS._table)  # examples may register layers: leave the registry as it was
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    finally:
        layers.LAYERS._table.clear()
        layers.LAYERS._table.update(saved)


def test_quick_start_trains_with_fit_and_checks_test_accuracy():
    """The quick start is the first Python block: it trains with nets.fit, prints the
    summary table and asserts >= 97 % test accuracy (the block runs above)."""
    first = BLOCKS[0]
    assert "nets.fit(" in first and "nets.summary(" in first and "assert test_acc >= 0.97" in first
