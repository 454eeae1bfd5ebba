"""Is it this assignment? A notebook of another practical gets its own status (`wrong_assignment`),
not a 0 that looks like a grade."""
from __future__ import annotations

from ..config import CONTRACT
from ..pyparse import parse

ASSIGNMENT_NAME = "tp1_ab"  # Otter's metadata.otter.assignment_name of the release notebook
# The graded names of the contract (docs/contract.md): every question id but the training runs the
# grader does itself. A notebook that defines none of them at top level is not this assignment.
GRADED_NAMES = CONTRACT.GRADED_NAMES


def _top_level_names(source):
    from .read import MAX_CELL_CHARS, strip_ipython, top_level_names

    if len(source) > MAX_CELL_CHARS:
        return set()
    try:
        return top_level_names(parse(strip_ipython(source)[0]))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()


def assignment_mismatch(notebook, defined=None):
    """Why a notebook is not TP1-ab, or None when it is.

    notebook: a parsed notebook (nbformat NotebookNode or the dict of its JSON). Not this
    assignment when Otter's `metadata.otter.assignment_name` names another assignment, or when no
    code cell defines any graded name (GRADED_NAMES) at top level. A notebook without Otter
    metadata that defines them is this assignment. The message never quotes the notebook.
    defined: the names its code cells define at top level, when the caller has parsed them already."""
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    otter = metadata.get("otter") if isinstance(metadata, dict) else None
    if isinstance(otter, dict) and "assignment_name" in otter:
        if otter["assignment_name"] != ASSIGNMENT_NAME:
            return (f"its Otter metadata names another assignment, not {ASSIGNMENT_NAME}: "
                    f"is it the notebook of another practical?")
    cells = notebook.get("cells") if isinstance(notebook, dict) and defined is None else None
    defined = set(defined or ())
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else source
        if isinstance(source, str):
            defined |= _top_level_names(source)
    if not defined & GRADED_NAMES:
        return (f"it defines none of the graded functions ({', '.join(sorted(GRADED_NAMES)[:4])}, "
                f"...): is it the {ASSIGNMENT_NAME} notebook?")
    return None
