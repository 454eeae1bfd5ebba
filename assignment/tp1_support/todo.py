"""What an experiment cell of the notebook checks before it runs: that what it uses is written.

A function of the release that is still a TODO returns None, so an experiment that calls it stops
far from the cause, with "TypeError: 'NoneType' object is not subscriptable" inside another
function, or a NameError two cells later. `needs("forward", "backward")` at the top of the cell
stops it first, with "fill in backward first".

A function is still a TODO when it holds the release's stub: a bare `...` statement right below a
`# TODO` comment (where the solution was), with nothing after it in its block but the stub's own
`return` (code written below a `...` left in place is the student's: the function is written). That is read from its source, without calling it: a
call could fail, or draw random numbers and change the experiment.
"""
import ast
import inspect
import re
import textwrap

TODO_COMMENT = re.compile(r"\s*#\s*TODO\b")


class NotFilledIn(Exception):
    """Raised by needs(): what to write or run before this cell. Jupyter shows the message alone."""

    def _render_traceback_(self):
        # IPython shows these lines instead of the traceback: the frames of needs() would only hide
        # the one line that says what to do.
        return [f"{type(self).__name__}: {self}"]


def is_todo(value):
    """Whether value is still the release's stub: `...` itself (a constant such as MNIST_HPARAMS),
    or a function whose source holds a bare `...` statement right below a `# TODO` comment. A
    function whose source cannot be read counts as written."""
    if value is Ellipsis:
        return True
    if not inspect.isfunction(value):
        return False
    try:
        lines = textwrap.dedent(inspect.getsource(value)).splitlines()
        tree = ast.parse("\n".join(lines))
    except (OSError, TypeError, SyntaxError, ValueError):
        return False
    for block in _blocks(tree):
        for i, node in enumerate(block):
            if not _is_ellipsis(node) or not _only_the_stubs_return(block[i + 1:]):
                continue  # code written below a `...` left in place: the student wrote this block
            above = node.lineno - 2  # the line just above, 0-based
            while above >= 0 and lines[above].lstrip().startswith("#"):
                if TODO_COMMENT.match(lines[above]):
                    return True
                above -= 1
    return False


def _only_the_stubs_return(statements):
    """Whether what follows a `...` is what the release's stub has there: nothing, or its return."""
    return not statements or (len(statements) == 1 and isinstance(statements[0], ast.Return))


def _blocks(tree):
    """Every list of statements in tree: bodies, else and finally branches, handlers' bodies."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def _is_ellipsis(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis


def _listed(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def needs(*names):
    """Stop the calling cell with a clear message when one of `names` (functions or constants of the
    notebook) is still the release's TODO, or is not defined yet. Otherwise do nothing.

    Raises NotFilledIn, e.g. "fill in forward and backward first: this cell uses them, and they
    still hold the `...` of their TODO", or "run the cell that defines history_manual first".
    """
    found = inspect.currentframe().f_back.f_globals
    todo = [name for name in names if name in found and is_todo(found[name])]
    if todo:
        one = len(todo) == 1
        raise NotFilledIn(f"fill in {_listed(todo)} first: this cell uses {'it' if one else 'them'}, and "
                          f"{'it still holds' if one else 'they still hold'} the `...` of "
                          f"{'its' if one else 'their'} TODO")
    missing = [name for name in names if name not in found]
    if missing:
        one = len(missing) == 1
        raise NotFilledIn(f"run the {'cell that defines' if one else 'cells that define'} {_listed(missing)} "
                          f"first: this cell uses {'it' if one else 'them'}")
