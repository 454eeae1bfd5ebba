"""The grader's one door to `ast.parse`.

CPython 3.11 keeps the AST constructor's recursion depth in state shared by the whole interpreter: two
grading threads parsing at once can fail with `SystemError: AST constructor recursion depth mismatch`
(python/cpython#106905), which crashed an honest student's row. Every parse of the grader goes through
`parse`, which holds one lock; a mismatch caused by a parse outside this door (a library's) is retried
once, since parsing the same text again is deterministic.
"""
from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()
_MISMATCH = "recursion depth mismatch"


def parse(source: str) -> ast.Module:
    """`ast.parse(source)`, serialised across the grader's threads."""
    with _LOCK:
        try:
            return ast.parse(source)
        except SystemError as e:
            if _MISMATCH not in str(e):
                raise
            return ast.parse(source)
