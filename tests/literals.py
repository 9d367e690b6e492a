"""Decoding what a test echoed as a Python literal. A module of its own, importing nothing of ours: the
emulator's tests use it too, and they do not depend on the provider package (tests/support.py does)."""

from __future__ import annotations

import ast
import warnings
from typing import Any


def python_literal(text: str) -> Any:
    """`ast.literal_eval(text)`, as a reader of an echoed Python literal decodes it. Redacted text may hold a
    backslash before a character that starts no escape (a backslash, then a tab): Python keeps both
    characters and warns that the escape is invalid (a DeprecationWarning on 3.11, a SyntaxWarning from
    3.12; an octal escape past \\377 gives its character, with the same warning). The warning is about the
    test's input, not the code's."""
    with warnings.catch_warnings():
        for category in (DeprecationWarning, SyntaxWarning):
            warnings.filterwarnings("ignore", r"invalid (octal )?escape sequence", category)
        return ast.literal_eval(text)
