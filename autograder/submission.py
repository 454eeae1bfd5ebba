"""Read a submission and pick the statements the untrusted phase runs.

A submission is a notebook (`.ipynb`) or the zip its export cell makes. Grading runs only what
defines the graded functions: imports, function and class definitions, and simple constants. Not the
experiment cells: a 150-epoch training loop left in a notebook must not slow grading down.
"""
import ast
import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
# Calls allowed in a kept constant: building values, never running an experiment.
SAFE_CALLS = {"dict", "list", "tuple", "set", "frozenset", "int", "float", "bool", "str", "range",
              "slice", "complex"}
SKIPPED_MODULES = {"otter"}  # imported by the Otter init cell; slow and of no use to a graded function


class UnreadableSubmission(Exception):
    """The file is not a notebook we can read (the gradebook status is `unreadable`)."""


@dataclass
class Statement:
    cell: int  # 1-based index among the notebook's code cells
    line: int  # line of the statement in its cell
    source: str


@dataclass
class Program:
    """What the untrusted phase executes, and notes for the student's feedback."""
    statements: list = field(default_factory=list)
    notes: list = field(default_factory=list)


RESERVED_IDS = {"grades.csv", "summary.html", "scores.png", "questions.png", "gradebook.csv"}  # the output folder's


def submission_id(path):
    """The student id: the file name without its extension, made safe as a folder name, a link and a
    spreadsheet cell (characters other than letters, digits and ._-+@ become _; no leading dot or
    formula sign; never one of the output folder's own files)."""
    sid = re.sub(r"[^\w.+@-]", "_", Path(path).stem)[:120] or "_"
    if sid[0] in ".=+-@" or sid in RESERVED_IDS:
        sid = "_" + sid
    return sid


def read_notebook(path):
    """The notebook of a submission (a .ipynb, or an export zip holding exactly one)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise UnreadableSubmission(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if n.endswith(".ipynb") and "/." not in "/" + n
                         and not n.startswith("__MACOSX")]
                if len(names) != 1:
                    raise UnreadableSubmission(
                        f"{path.name} must hold exactly one .ipynb notebook, it holds {len(names)}")
                info = zf.getinfo(names[0])
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    raise UnreadableSubmission(f"the notebook in {path.name} is too large")
                text = zf.read(names[0]).decode("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return nbformat.reads(text, as_version=4)
    except UnreadableSubmission:
        raise
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, json.JSONDecodeError,
            nbformat.reader.NotJSONError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise UnreadableSubmission(f"{path.name} is not a readable Jupyter notebook ({type(e).__name__}: {e})")


def _ipython_to_python(source):
    # %magics and !shell lines are IPython, not Python: turn them into calls (which are then dropped).
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _is_constant_expression(node):
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda)):
            return False
        if isinstance(sub, ast.Call) and not (isinstance(sub.func, ast.Name) and sub.func.id in SAFE_CALLS):
            return False
    return True


def _keep(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] not in SKIPPED_MODULES for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] not in SKIPPED_MODULES
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names_only = all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets)
        return names_only and node.value is not None and _is_constant_expression(node.value)
    return False


def program_of(nb):
    """The statements to execute, in notebook order, with notes on the cells that were skipped."""
    program = Program()
    code_cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    for index, cell in enumerate(code_cells, start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse(_ipython_to_python(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
            program.notes.append(f"code cell {index} is not valid Python ({type(e).__name__}: "
                                 f"{getattr(e, 'msg', e)}); its definitions were skipped")
            continue
        for node in tree.body:
            if _keep(node):
                program.statements.append(Statement(index, node.lineno, ast.unparse(node)))
    return program


# CPython 3.11's ast.parse keeps its recursion depth in shared state: two grading threads parsing
# at once can fail with "AST constructor recursion depth mismatch".
_AST_LOCK = threading.Lock()


def load(path):
    """Program of the submission at path; raises UnreadableSubmission."""
    nb = read_notebook(path)
    with _AST_LOCK:
        return program_of(nb)
