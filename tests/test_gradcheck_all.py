"""One gradient check per registered layer and loss, driven by the registries.

Cases come from every tests/cases_*.py module (LAYER_CASES, LOSS_CASES); a
layer or loss registered without a case fails the coverage tests.
"""
import importlib
import pathlib

import numpy as np
import pytest

from kubik import layers
from kubik import losses
from kubik import nets  # noqa: F401  (registers the containers)


def _collect(attr):
    cases = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
        module = importlib.import_module(path.stem)
        for name, entries in getattr(module, attr, {}).items():
            cases.setdefault(name, []).extend(entries)
    return cases


LAYER_CASES = _collect("LAYER_CASES")
LOSS_CASES = _collect("LOSS_CASES")


def _canonical(registry):
    """Registered classes once each (aliases such as MSELoss share a class)."""
    seen = {}
    for name, cls in registry.items():
        if cls.__name__ == name:
            seen[name] = cls
    return seen


@pytest.mark.parametrize("name,case,factory",
                         [(n, c, f) for n, entries in LAYER_CASES.items() for c, f in entries],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_layer_gradcheck(name, case, factory):
    layer, X = factory()
    assert type(layer).__name__ == name
    result = layers.gradcheck(layer, X)
    assert result.ok and result.checked > 0, str(result)


@pytest.mark.parametrize("name,case,factory",
                         [(n, c, f) for n, entries in LOSS_CASES.items() for c, f in entries],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_loss_gradcheck(name, case, factory):
    loss, pred, target = factory()
    result = losses.gradcheck_loss(loss, pred, target)
    assert result.ok and result.checked > 0, str(result)


def test_every_registered_layer_has_a_gradcheck_case():
    missing = sorted(set(_canonical(layers.LAYERS)) - set(LAYER_CASES))
    assert not missing, f"layers registered without a gradcheck case in tests/cases_*.py: {missing}"


def test_every_registered_loss_has_a_gradcheck_case():
    missing = sorted(set(_canonical(losses.LOSSES)) - set(LOSS_CASES))
    assert not missing, f"losses registered without a gradcheck case in tests/cases_*.py: {missing}"

