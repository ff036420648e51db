"""The hand-picked public API: every name in __all__ exists, nothing stray."""

from __future__ import annotations

import crossfoot
from crossfoot import errors


def test_all_names_exist() -> None:
    for name in crossfoot.__all__:
        assert hasattr(crossfoot, name), name


def test_public_names_are_exactly_all() -> None:
    public = {n for n in vars(crossfoot) if not n.startswith("_") and n != "annotations"}
    modules = {n for n in public if type(getattr(crossfoot, n)).__name__ == "module"}
    assert public - modules == set(crossfoot.__all__)


def test_error_tree_is_drawn_in_its_docstring() -> None:
    assert errors.__doc__ is not None
    for name in errors.__all__:
        assert name in errors.__doc__, f"{name} missing from the tree drawing in errors.py"
        assert issubclass(getattr(errors, name), errors.CrossfootError)
