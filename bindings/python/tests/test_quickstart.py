"""The README's quick start (the steps of examples-c/quickstart.c) runs as written."""

from __future__ import annotations

import doctest

from conftest import REPO


def test_readme_quick_start():
    readme = REPO / "bindings" / "python" / "README.md"
    result = doctest.testfile(str(readme), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4, "the README lost its quick start"
    assert result.failed == 0, f"{result.failed} example(s) of the README failed (output above)"
