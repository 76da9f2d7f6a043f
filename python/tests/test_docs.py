"""The examples in the docstrings run and print what they say."""

import doctest

import numpy as np
import pytest

import medprep
from medprep import features, ops
from conftest import ROOT


@pytest.mark.parametrize("module", [medprep, ops, features], ids=lambda m: m.__name__)
def test_docstring_examples(module, monkeypatch):
    # The examples name fixtures relative to the repository root.
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(
        module,
        extraglobs={"medprep": medprep, "np": np, "ops": ops, "features": features},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0
