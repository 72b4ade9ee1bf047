"""kubik owns one import name: the four packages live under ``kubik`` and
nothing called layers/losses/optim/nets reaches the top level."""
import importlib.util
import pathlib
import subprocess
import sys
import tomllib

import pytest

import kubik
import kubik.layers.linear
from kubik import layers, losses, nets, optim

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_subpackages_are_the_modules_behind_the_names():
    assert kubik.layers is layers and kubik.nets is nets and kubik.losses is losses and kubik.optim is optim
    assert kubik.layers.Linear is kubik.layers.linear.Linear
    assert nets.Sequential.__module__ == "kubik.nets.containers.sequential"
    assert optim.SGD.__module__ == "kubik.optim.sgd"


@pytest.mark.parametrize("name", ["layers", "losses", "optim", "nets"])
def test_no_bare_top_level_names(name):
    assert importlib.util.find_spec(name) is None


def test_version_is_single_sourced():
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kubik.__version__"}
    parts = kubik.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)


def test_seed_resets_the_package_generator():
    kubik.seed(3)
    a = layers.Linear(4, 2).weight.data.copy()
    kubik.seed(3)
    b = layers.Linear(4, 2).weight.data.copy()
    assert (a == b).all()


def test_every_source_package_is_installed():
    """A new folder with an __init__.py must be listed in pyproject, or it would be missing from the wheel."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {"kubik"}
    for top in ("layers", "losses", "optim", "nets"):
        for init in (ROOT / top).rglob("__init__.py"):
            found.add(".".join(("kubik",) + init.parent.relative_to(ROOT).parts))
    assert found == listed


@pytest.mark.parametrize("argv", [[sys.executable, "-m", "kubik", "--version"],
                                  [str(pathlib.Path(sys.executable).parent / "kubik"), "--version"]])
def test_version_on_the_command_line(argv, tmp_path):
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"kubik {kubik.__version__}"
