"""Read a submission and pick the statements the untrusted phase runs.

A submission is a notebook (`.ipynb`) or the zip its export cell makes. Grading runs only what
defines the graded functions: imports, function and class definitions, and simple constants. Not the
experiment cells: a 150-epoch training loop left in a notebook must not slow grading down.

No student code runs while the definitions are made. A `def` or `class` statement can run code of
its author's when it executes (decorators, default values, annotations, base classes, class
bodies, metaclasses); the statements kept here cannot: defaults, bases, class-level values and
constants are plain expressions with no call but to builtins such as `dict` (called through the
grader's own reference to them, whatever the notebook rebinds), annotations are dropped, class bodies
hold only definitions and constants, and a decorator is one of a few library ones, which the
sandbox binds to the library's own objects. So the process that made the definitions is still the
grader's when the probes start, and a question's result depends only on what the functions it calls
do when called.
"""
import ast
import codecs
import io
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import CONTRACT
from ..pyparse import parse
from ..text import safe_text

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_CELL_CHARS = 200_000  # a code cell larger than this is not read (a real one is a few KB)
MAX_CODE_CHARS = 2_000_000  # all code cells together
MAX_CELLS = 2_000
# The definitions' allowlist is the contract's (the sandbox binds TRUSTED_NAME to the objects): calls
# allowed in a kept constant (building values, never running an experiment) and the decorators a
# definition may carry, by the name it is written with. The sandbox calls the builtins and the
# libraries' own objects, not whatever the notebook bound to these names.
SAFE_CALLS, DECORATORS, ACCESSOR_DECORATORS = CONTRACT.SAFE_CALLS, CONTRACT.DECORATORS, CONTRACT.ACCESSOR_DECORATORS
TRUSTED_NAME = CONTRACT.TRUSTED_NAME
SKIPPED_MODULES = {"otter"}  # imported by the Otter init cell; slow and of no use to a graded function

class UnreadableSubmission(Exception):
    """The file is not a notebook we can read (the gradebook status is `unreadable`, or `too_large`)."""

    def __init__(self, message, status="unreadable"):
        super().__init__(safe_text(message, 600))
        self.status = status


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
    cells: list = field(default_factory=list)  # every code cell's source, as written (similarity report)
    trees: list = field(default_factory=list)  # the kept statements' ASTs (static checks)
    defined: set = field(default_factory=set)  # every name the cells define at top level, kept or not


def _read_regular(path, max_bytes):
    """The bytes of a regular file, never through a symbolic link (a link among the submissions
    could point at any file the grader can read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if os.path.islink(path):
            raise UnreadableSubmission(f"{safe_text(Path(path).name)} is a symbolic link: not followed")
        raise UnreadableSubmission(f"{safe_text(Path(path).name)} cannot be opened ({e.strerror})")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableSubmission(f"{safe_text(Path(path).name)} is not a regular file")
        if info.st_size > max_bytes:
            raise UnreadableSubmission(f"{safe_text(Path(path).name)} is larger than {max_bytes // 2**20} MB",
                                       "too_large")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(max_bytes + 1)
    finally:
        os.close(fd)


# --- a bounded reader ------------------------------------------------------------------------------
# The grader needs the code cells' sources and Otter's assignment name, nothing else. Whatever else a
# notebook holds (markdown, outputs, attachments, metadata) is skipped, never decoded into objects:
# strings at the regular expression engine's speed, brackets counted one by one. Every cap is
# checked as the file is read, so a notebook padded with a million cells or outputs costs about what
# its first MAX_CELLS_ALL cells cost. Inside a value that is skipped, only strings and brackets are
# checked (Jupyter's own reader checks the rest; nothing of it is read here).
MAX_CELLS_ALL = 10_000  # cells of every type (the release has 79)
MAX_OUTPUTS = 20_000  # outputs of all code cells together
MAX_ATTACHMENTS = 1_000  # attachments of all cells together
MAX_CONTAINERS = 200_000  # JSON objects and arrays in the whole file
MAX_ZIP_DIRECTORY_BYTES = 1 * 2**20  # an export zip's list of files (about 20,000 names)
_WS = re.compile(rb"[ \t\n\r]*+")
_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]++|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+"')
_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][-+]?+[0-9]++)?+|true|false|null")
_FLAT = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)  # up to the next bracket
_OPEN, _CLOSE = {ord("["): ord("]"), ord("{"): ord("}")}, {ord("]"), ord("}")}
_SHORT = 4096  # a key, a cell type, an assignment name longer than this is none the grader knows


class _NotJSON(ValueError):
    def __init__(self, what, position):
        super().__init__(what)
        self.what, self.position = what, position


class _Reader:
    """One pass over a notebook's bytes: {"metadata": {"otter": {"assignment_name": ...}}, "cells":
    [{"cell_type": "code", "source": "..."}, ...]} with code cells only (their index among the code
    cells is their place in this list), or UnreadableSubmission."""

    def __init__(self, data, name):
        self.data, self.name = data, name
        self.cells = self.containers = self.outputs = self.attachments = 0
        self.code_bytes = 0

    # -- tokens
    def ws(self, i):
        return _WS.match(self.data, i).end()

    def expect(self, i, char):
        if self.data[i:i + 1] != char:
            raise _NotJSON(f"expected {char.decode()!r}", i)
        return i + 1

    def string(self, i):
        m = _STRING.match(self.data, i)
        if m is None:
            raise _NotJSON("expected a string", i)
        return m

    def decode(self, start, end):
        """The JSON value data[start:end] (a string or a scalar)."""
        return json.loads(self.data[start:end].decode("utf-8"))

    def container(self, i):
        self.containers += 1
        if self.containers > MAX_CONTAINERS:
            raise UnreadableSubmission(f"{self.name} holds more than {MAX_CONTAINERS:,} JSON objects and lists "
                                       "(a notebook has a few thousand): not read", "too_large")

    def skip(self, i):
        """The end of the value at i, which is not read."""
        i = self.ws(i)
        first = self.data[i:i + 1]
        if first == b'"':
            return self.string(i).end()
        if not first or first[0] not in _OPEN:
            m = _SCALAR.match(self.data, i)
            if m is None:
                raise _NotJSON("expected a value", i)
            return m.end()
        stack, data = [], self.data
        while True:
            char = data[i] if i < len(data) else None
            if char in _OPEN:
                self.container(i)
                stack.append(_OPEN[char])
            elif char in _CLOSE and stack and stack[-1] == char:
                stack.pop()
                if not stack:
                    return i + 1
            else:
                raise _NotJSON("unterminated string or list" if char in (None, ord('"')) else "mismatched bracket", i)
            i = _FLAT.match(data, i + 1).end()

    def members(self, i, member):
        """An object at i: member(key or None, position of its value) returns the value's end."""
        i = self.expect(self.ws(i), b"{")
        self.container(i)
        i = self.ws(i)
        if self.data[i:i + 1] == b"}":
            return i + 1
        while True:
            m = self.string(self.ws(i))
            raw = self.data[m.start() + 1:m.end() - 1] if m.end() - m.start() <= _SHORT else None
            key = None if raw is None else raw.decode() if b"\\" not in raw else self.decode(m.start(), m.end())
            i = self.expect(self.ws(m.end()), b":")
            i = self.ws(member(key, self.ws(i)))
            if self.data[i:i + 1] == b",":
                i += 1
                continue
            return self.expect(i, b"}")

    def elements(self, i, element):
        """A list at i: element(position) returns the element's end."""
        i = self.expect(self.ws(i), b"[")
        self.container(i)
        i = self.ws(i)
        if self.data[i:i + 1] == b"]":
            return i + 1
        while True:
            i = self.ws(element(self.ws(i)))
            if self.data[i:i + 1] == b",":
                i += 1
                continue
            return self.expect(i, b"]")

    def kind(self, i):
        return self.data[i:i + 1]

    # -- the notebook
    def notebook(self):
        self.result = {"metadata": {}, "cells": None}
        if self.kind(self.ws(0)) != b"{" and self.ws(self.skip(0)) == len(self.data):
            raise UnreadableSubmission(f"{self.name} is JSON but not a Jupyter notebook (no list of cells)")
        i = self.ws(self.members(0, self.top))
        if i != len(self.data):
            raise _NotJSON("extra data", i)
        if not isinstance(self.result["cells"], list):
            raise UnreadableSubmission(f"{self.name} is JSON but not a Jupyter notebook (no list of cells)")
        return self.result

    def top(self, key, i):
        if key == "cells" and self.kind(i) == b"[":
            self.result["cells"] = []
            return self.elements(i, self.cell)
        if key == "cells":
            self.result["cells"] = None
        if key == "metadata":  # (the last of two equal keys counts, as in Python's json)
            self.result["metadata"] = {}
            if self.kind(i) == b"{":
                return self.members(i, self.metadata)
        return self.skip(i)

    def metadata(self, key, i):
        if key == "otter":
            self.result["metadata"].pop("otter", None)
        if key == "otter" and self.kind(i) == b"{":
            otter = self.result["metadata"]["otter"] = {}

            def member(key, i):
                end = self.skip(i)
                if key == "assignment_name":
                    otter[key] = self.decode(i, end) if end - i <= _SHORT and self.kind(i) not in (b"[", b"{") else None
                return end
            return self.members(i, member)
        return self.skip(i)

    def cell(self, i):
        self.cells += 1
        if self.cells > MAX_CELLS_ALL:
            raise UnreadableSubmission(f"{self.name} has more than {MAX_CELLS_ALL:,} cells (markdown, code and raw "
                                       "together): not read", "too_large")
        if self.kind(i) != b"{":
            return self.skip(i)
        fields = {}

        def member(key, i):
            if key == "outputs" and self.kind(i) == b"[":
                return self.elements(i, self.output)
            if key == "attachments" and self.kind(i) == b"{":
                return self.members(i, self.attachment)
            end = self.skip(i)
            if key in ("cell_type", "source"):
                fields[key] = (i, end)
            return end
        end = self.members(i, member)
        if "cell_type" in fields:
            start, stop = fields["cell_type"]
            if stop - start <= _SHORT and self.kind(start) == b'"' and self.decode(start, stop) == "code":
                self.result["cells"].append({"cell_type": "code", "source": self.source(*fields.get("source", (0, 0)))})
        return end

    def output(self, i):
        self.outputs += 1
        if self.outputs > MAX_OUTPUTS:
            raise UnreadableSubmission(f"{self.name} has more than {MAX_OUTPUTS:,} outputs: not read (clear the "
                                       "outputs, or hand in the notebook before they grew)", "too_large")
        return self.skip(i)

    def attachment(self, key, i):
        self.attachments += 1
        if self.attachments > MAX_ATTACHMENTS:
            raise UnreadableSubmission(f"{self.name} has more than {MAX_ATTACHMENTS:,} attachments in its cells: "
                                       "not read", "too_large")
        return self.skip(i)

    def source(self, start, end):
        """A code cell's source (a string, or a list of strings joined) as text."""
        if end == start:
            return ""
        self.code_bytes += end - start
        if self.code_bytes > 4 * MAX_CODE_CHARS:  # (a character of code takes 1-2 bytes in the file)
            raise UnreadableSubmission(f"the notebook holds more than {MAX_CODE_CHARS // 1000} kB of code", "too_large")
        if end - start > 4 * MAX_CELL_CHARS:  # not decoded: program_of notes the cell as too large
            return " " * (MAX_CELL_CHARS + 1)
        value = self.decode(start, end)
        if isinstance(value, list):
            return "".join(v if isinstance(v, str) else "" if isinstance(v, (list, dict)) else str(v) for v in value)
        return value if isinstance(value, str) else "" if isinstance(value, dict) else str(value)


def read_notebook(path):
    """What the grader reads of a submission (a .ipynb, or an export zip holding exactly one): its
    code cells' sources and Otter's assignment name, as a dict shaped like the notebook's JSON (see
    _Reader), read within the caps above whatever the file holds. Error messages name the problem,
    never the file's content."""
    path = Path(path)
    name = safe_text(path.name)
    data = _read_regular(path, MAX_NOTEBOOK_BYTES)
    try:
        if zipfile.is_zipfile(io.BytesIO(data)):
            data = _notebook_in_zip(data, name)
        _check_utf8(data)
        return _Reader(data, name).notebook()
    except UnreadableSubmission:
        raise
    except UnicodeDecodeError as e:
        raise UnreadableSubmission(f"{name} is not a readable Jupyter notebook (not UTF-8 text at byte {e.start})")
    except _NotJSON as e:
        line = data.count(b"\n", 0, e.position) + 1
        column = e.position - data.rfind(b"\n", 0, e.position)
        raise UnreadableSubmission(f"{name} is not a readable Jupyter notebook (not JSON: {e.what} at line "
                                   f"{line}, column {column})")
    except json.JSONDecodeError as e:
        raise UnreadableSubmission(f"{name} is not a readable Jupyter notebook (not JSON: {e.msg})")
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, KeyError, TypeError, AttributeError,
            RecursionError, NotImplementedError, EOFError, IndexError) as e:
        raise UnreadableSubmission(f"{name} is not a readable Jupyter notebook ({type(e).__name__})")


def zip_directory_bytes(file):
    """The size of a zip's list of files (its central directory), read from its end record without
    reading the list: zipfile reads the whole list, one Python object per name, whatever its size.
    None when file is not a zip."""
    endrec = zipfile._EndRecData(file)  # noqa: SLF001 - the standard library's own reader of the end record
    return None if endrec is None else endrec[zipfile._ECD_SIZE]  # noqa: SLF001


def _notebook_in_zip(data, name):
    size = zip_directory_bytes(io.BytesIO(data))
    if size is not None and size > MAX_ZIP_DIRECTORY_BYTES:
        raise UnreadableSubmission(f"{name} lists more files than an export zip holds (its list of files takes "
                                   f"more than {MAX_ZIP_DIRECTORY_BYTES // 2**20} MB): not read", "too_large")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = [n for n in zf.namelist() if n.lower().endswith(".ipynb") and "/." not in "/" + n
                 and not n.startswith("__MACOSX")]
        if len(names) != 1:
            raise UnreadableSubmission(f"{name} must hold exactly one .ipynb notebook, it holds {len(names)}")
        if zf.getinfo(names[0]).file_size > MAX_NOTEBOOK_BYTES:
            raise UnreadableSubmission(f"the notebook in {name} is larger than "
                                       f"{MAX_NOTEBOOK_BYTES // 2**20} MB", "too_large")
        with zf.open(names[0]) as f:
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise UnreadableSubmission(f"the notebook in {name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB",
                                   "too_large")
    return data


def _check_utf8(data, chunk=2**20):
    """UnicodeDecodeError unless data is UTF-8, without holding its text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), chunk):
        try:
            decoder.decode(data[start:start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError as e:
            raise UnicodeDecodeError("utf-8", data, start + e.start, start + e.end, e.reason) from None
    decoder.decode(b"", final=True)


# --- IPython lines ----------------------------------------------------------------------------
# %magics and !shell commands are IPython, not Python; they never run at grading. A line filter
# (linear in the cell's size) replaces them by `pass`, keeping the indentation so the blocks around
# them stay valid. IPython's own transformer is quadratic in the number of such lines.
_IPYTHON_LINE = re.compile(r"^([ \t]*)(?:[%!]|[\w.]+\?{1,2}[ \t]*$|[\w.,\[\] \t*()]+=[ \t]*[%!])")


# Cell magics whose body Jupyter runs as Python in the notebook's namespace (a `def` under `%%time`
# defines the function). The body of any other (`%%bash`, `%%html`, `%%writefile`, `%%script`, and
# `%%timeit`, which runs it inside a function of its own) is not the notebook's Python. The one rule,
# for the grader and the similarity report.
PYTHON_CELL_MAGICS = frozenset({"time", "capture", "prun"})


def python_cell_lines(lines):
    """A cell's lines with its leading cell magics blanked ("%%capture out", then "%%time": each runs
    the rest of the cell), when all of them are PYTHON_CELL_MAGICS; None when the cell is not Python
    (another cell magic)."""
    lines = list(lines)
    start = 0
    while True:
        first = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
        if first is None or not lines[first].lstrip().startswith("%%"):
            return lines
        words = lines[first].lstrip()[2:].split(None, 1)
        if not words or words[0] not in PYTHON_CELL_MAGICS:
            return None
        lines[first], start = "", first + 1


def strip_ipython(source):
    """(python source, whether the cell is not Python: a cell magic that is not one of
    PYTHON_CELL_MAGICS). Lines of IPython syntax become `pass`."""
    lines = python_cell_lines(source.split("\n"))
    if lines is None:
        return "", True
    out = []
    for line in lines:
        m = _IPYTHON_LINE.match(line)
        out.append(m.group(1) + "pass" if m else line)
    return "\n".join(out), False


# --- what runs at definition time -------------------------------------------------------------

class _Reject(Exception):
    """A statement that would run code when executed: left out, with the reason."""


def _trusted(key, node):
    """`__tp1_trusted__[key]`, located at node."""
    return ast.copy_location(ast.Subscript(value=ast.Name(TRUSTED_NAME, ast.Load()), slice=ast.Constant(key),
                                           ctx=ast.Load()), node)


class _ConstantExpression(ast.NodeTransformer):
    """Checks an expression calls nothing but SAFE_CALLS builtins, and routes those through the
    sandbox's own references."""

    def visit_Call(self, node):
        if not (isinstance(node.func, ast.Name) and node.func.id in SAFE_CALLS):
            raise _Reject(f"it calls {_short(node.func)}(...)")
        self.generic_visit(node)
        node.func = _trusted(node.func.id, node.func)
        return node

    def generic_visit(self, node):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda)):
            raise _Reject(f"it holds a {type(node).__name__.lower()}")
        return super().generic_visit(node)


def _constant(node):
    return _ConstantExpression().visit(node) if node is not None else None


def _short(node):
    try:
        return safe_text(ast.unparse(node), 60)
    except Exception:  # noqa: BLE001 - only for a message
        return type(node).__name__


def _decorator(node, properties):
    """The decorator rewritten to the sandbox's library object, or _Reject."""
    target = node.func if isinstance(node, ast.Call) else node
    name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
    if (isinstance(node, ast.Attribute) and name in ACCESSOR_DECORATORS and isinstance(node.value, ast.Name)
            and node.value.id in properties):
        return node  # x.setter of the property x defined just above in the same class
    if name not in DECORATORS:
        raise _Reject(f"the decorator @{_short(node)} runs code when the function is defined (allowed: "
                      + ", ".join(sorted(DECORATORS)) + ")")
    if isinstance(node, ast.Call):
        node.args = [_constant(a) for a in node.args]
        for keyword in node.keywords:
            keyword.value = _constant(keyword.value)
        node.func = _trusted(name, node.func)
        return node
    return _trusted(name, node)


def _strip_annotations(args):
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None


def _function(node, properties):
    node.decorator_list = [_decorator(d, properties) for d in node.decorator_list]
    node.args.defaults = [_constant(d) for d in node.args.defaults]
    node.args.kw_defaults = [_constant(d) for d in node.args.kw_defaults]
    _strip_annotations(node.args)
    node.returns = None
    return node


def _names_only(targets):
    return all(isinstance(t, ast.Name) or isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts)
               for t in targets)


def _is_dunder(name):
    return name.startswith("__") and name.endswith("__")


def _dunder_targets(targets):
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and _is_dunder(n.id)]


# The interpreter's names a class body may bind, to a literal only. Any other (`__class_getitem__ =
# exec` runs when the class is subscripted; a literal `__annotations__` hands @dataclass field names
# that are not identifiers, which it pastes into the source it executes) is left out.
CLASS_DUNDERS = {"__slots__", "__doc__", "__match_args__", "__hash__", "__constants__"}


def _class_dunder(node, what):
    """node if `what` may be bound in a class body and node is a literal (numbers, strings, tuples...)."""
    if what not in CLASS_DUNDERS:
        raise _Reject(f"{what} is one of the interpreter's hooks (a class body may bind only "
                      + ", ".join(sorted(CLASS_DUNDERS)) + ", to a literal)")
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _Reject(f"{what} is one of the interpreter's hooks: only a literal value may be bound to it") from None
    return node


def _class(node, notes, where):
    if node.keywords:
        raise _Reject("its class keywords (metaclass=...) run code when the class is defined")
    node.bases = [_constant(b) for b in node.bases]
    node.decorator_list = [_decorator(d, set()) for d in node.decorator_list]
    body, properties = [], set()
    for index, statement in enumerate(node.body):
        if index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            body.append(statement)  # the docstring
            continue
        try:
            if isinstance(statement, ast.Pass):
                body.append(statement)
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body.append(_function(statement, properties))
                if any(isinstance(d, ast.Subscript) and isinstance(d.slice, ast.Constant)
                       and d.slice.value == "property" for d in statement.decorator_list):
                    properties.add(statement.name)
                else:
                    properties.discard(statement.name)
            elif isinstance(statement, ast.ClassDef):
                body.append(_class(statement, notes, where))
            elif isinstance(statement, ast.Assign) and _names_only(statement.targets):
                for dunder in _dunder_targets(statement.targets):
                    _class_dunder(statement.value, dunder)
                statement.value = _constant(statement.value)
                body.append(statement)
                properties.difference_update(n.id for t in statement.targets for n in ast.walk(t)
                                             if isinstance(n, ast.Name))
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                if _is_dunder(statement.target.id):
                    _class_dunder(statement.value if statement.value is not None else ast.Constant(None), statement.target.id)
                statement.annotation = _constant(statement.annotation)  # evaluated in a class body
                statement.value = _constant(statement.value)
                body.append(statement)
                properties.discard(statement.target.id)
            else:
                raise _Reject("it runs code when the class is defined")
        except _Reject as e:
            notes.append(f"{where}: in class {node.name}, line {statement.lineno} was left out: {e}")
    node.body = body or [ast.Pass()]
    return node


def _uses_reserved_name(node):
    return any(isinstance(n, ast.Name) and n.id.startswith("__tp1") or isinstance(n, ast.Attribute)
               and n.attr.startswith("__tp1") or isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
               and n.name.startswith("__tp1") for n in ast.walk(node))


def keep(node, notes, where):
    """The statement to execute (possibly rewritten), or None. `notes` gets why a definition is left out."""
    if isinstance(node, ast.Import):
        return node if all(alias.name.split(".")[0] not in SKIPPED_MODULES for alias in node.names) else None
    if isinstance(node, ast.ImportFrom):
        return node if (node.module or "").split(".")[0] not in SKIPPED_MODULES and node.level == 0 else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)):
        return None  # an experiment: not run at grading
    name = getattr(node, "name", None)
    try:
        if _uses_reserved_name(node):
            raise _Reject("names starting with __tp1 are the grader's")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return _function(node, set())
        if isinstance(node, ast.ClassDef):
            return _class(node, notes, where)
        if isinstance(node, ast.Assign):
            if not _names_only(node.targets) or _dunder_targets(node.targets):
                return None  # (__builtins__ = ... would change what the next definitions call)
            node.value = _constant(node.value)
            return node
        if not isinstance(node.target, ast.Name) or node.value is None or _is_dunder(node.target.id):
            return None
        return ast.copy_location(ast.Assign(targets=[node.target], value=_constant(node.value)), node)
    except _Reject as e:
        if name is not None:  # a constant that calls something is an experiment: no note
            notes.append(f"{where}: {'class' if isinstance(node, ast.ClassDef) else 'function'} {name} was left "
                         f"out: {e}; the grader runs no code of the notebook while it reads the definitions")
        return None
    except RecursionError:
        notes.append(f"{where}: a definition nested too deeply was left out")
        return None


def _cell_sources(nb):
    cells = [c for c in nb.get("cells") or [] if isinstance(c, dict) and c.get("cell_type") == "code"]
    if len(cells) > MAX_CELLS:
        raise UnreadableSubmission(f"the notebook has {len(cells)} code cells, more than {MAX_CELLS}", "too_large")
    sources = []
    for cell in cells:
        source = cell.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        sources.append(safe_text(source, MAX_CELL_CHARS + 1))
    if sum(map(len, sources)) > MAX_CODE_CHARS:
        raise UnreadableSubmission(f"the notebook holds more than {MAX_CODE_CHARS // 1000} kB of code", "too_large")
    return sources


def program_of(nb):
    """The statements to execute, in notebook order, with notes on the cells that were skipped."""
    program = Program()
    program.cells = _cell_sources(nb)
    for index, source in enumerate(program.cells, start=1):
        where = f"code cell {index}"
        if len(source) > MAX_CELL_CHARS:
            program.notes.append(f"{where} is larger than {MAX_CELL_CHARS // 1000} kB and was not read")
            continue
        python, cell_magic = strip_ipython(source)
        if cell_magic:
            continue
        try:
            tree = parse(python)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as e:
            program.notes.append(f"{where} is not valid Python ({type(e).__name__}: "
                                 f"{safe_text(getattr(e, 'msg', e), 200)}); its definitions were skipped")
            continue
        program.defined |= top_level_names(tree)
        for node in tree.body:
            kept = keep(node, program.notes, where)
            if kept is None:
                continue
            try:
                source = ast.unparse(ast.fix_missing_locations(kept))
            except (RecursionError, ValueError):
                program.notes.append(f"{where}: a definition could not be read back and was left out")
                continue
            program.statements.append(Statement(index, node.lineno, source))
            program.trees.append(kept)
    return program


def top_level_names(tree):
    """The names a module's statements define at top level (functions, classes, assigned names)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name)}
    return names


def load(path):
    """Program of the submission at path; raises UnreadableSubmission."""
    return program_of(read_notebook(path))
