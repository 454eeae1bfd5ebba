"""`grader.check("name")`: runs a question's public checks (tests/name.py) and shows what they found.

The release's tests/ are in Otter-Grader's test-file format (Otter Assign writes them, and a stock
`otter run` grades with them); this is the small client that runs them in the student's notebook, in
place of Otter's own (`otter.Notebook`), whose dependencies would replace packages Google Colab
preinstalls (ipywidgets 7 -> 8, wrapt 2 -> 1, and bring nbconvert's Playwright along). It needs
nothing but the standard library. The result shows as wrapped text in every notebook
front-end (Jupyter, Colab, VS Code) and as plain text anywhere else.

    grader = Notebook(tests_dir="tests")
    grader.check("backward")     # runs tests/backward.py with the notebook's backward, forward, ...
"""
import ast
import contextlib
import html
import inspect
import io
import os
import textwrap
import traceback

_OTTER_IMPORT = "otter.test_files"


class _TestFile:
    """The test cases a test file declares with @test_case, in order."""

    def __init__(self):
        self.cases = []

    def test_case(self, points=None, hidden=False, success_message=None, failure_message=None, **_):
        def declare(function):
            self.cases.append({"function": function, "hidden": hidden, "success_message": success_message,
                               "failure_message": failure_message})
            return function
        return declare


def _load(path):
    """The test cases of an Otter test file (`from otter.test_files import test_case`, then
    @test_case functions), without Otter: its import is left out and test_case is ours."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    tree.body = [node for node in tree.body
                 if not (isinstance(node, ast.ImportFrom) and node.module == _OTTER_IMPORT)]
    declared = _TestFile()
    exec(compile(tree, path, "exec"), {"test_case": declared.test_case, "__name__": "tests"})  # noqa: S102
    return [case for case in declared.cases if not case["hidden"]]


class CheckResult:
    """What grader.check(question) found: `passed_all`, and the text to show (`text`)."""

    def __init__(self, question, passed, lines):
        self.question = question
        self.passed_all = passed
        self.lines = lines

    @property
    def text(self):
        verdict = "passed ✓" if self.passed_all else "failed ✗"
        return "\n".join([f"{self.question}: public checks {verdict}"] + self.lines)

    def summary(self):
        return self.text

    def __repr__(self):
        return wrap(self.text)

    def _repr_html_(self):
        colour = "#1a7f37" if self.passed_all else "#b42318"
        head, *rest = self.text.split("\n")
        return (f'<div style="white-space: pre-wrap; overflow-wrap: anywhere; font-family: monospace; '
                f'max-width: 100%;"><strong style="color: {colour};">{html.escape(head)}</strong>\n'
                + html.escape("\n".join(rest)) + "</div>")


def _short_error(error):
    """'ValueError: ...', with the line of the test file or check it came from (no traceback)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at `{frames[-1].line.strip()}`)" if frames and frames[-1].line else ""
    return f"{type(error).__name__}: {str(error).strip()[:600]}{where}"


class Notebook:
    """The notebook's checker: grader.check("name") runs tests/name.py on the notebook's functions."""

    def __init__(self, tests_dir="tests"):
        self.tests_dir = tests_dir

    def check(self, question, global_env=None):
        """Run the public checks of `question` on the functions of `global_env` (by default, the
        notebook's: the caller's globals). Returns a CheckResult, which the notebook shows."""
        if global_env is None:
            global_env = inspect.currentframe().f_back.f_globals
        path = os.path.join(self.tests_dir, f"{question}.py")
        if not os.path.isfile(path):
            return CheckResult(question, False, [f"there is no {path}: open the notebook from the folder that holds "
                                                 "tests/ and tp1_support/ (see Getting started)"])
        lines, passed = [], True
        for case in _load(path):
            parameters = list(inspect.signature(case["function"]).parameters)
            missing = [name for name in parameters if name not in global_env]
            if missing:
                passed = False
                lines.append(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not defined: run the "
                             f"cell{'s' if len(missing) > 1 else ''} that define{'s' if len(missing) == 1 else ''} "
                             f"{'it' if len(missing) == 1 else 'them'}, then this check again")
                continue
            printed, failure = io.StringIO(), None
            try:
                with contextlib.redirect_stdout(printed):
                    case["function"](*(global_env[name] for name in parameters))
            except AssertionError as e:  # a public check failed: its message says what and why
                failure = str(e).strip() or "a check failed"
            except Exception as e:  # noqa: BLE001 - what the student's code raised out of the check
                failure = f"the check stopped on {_short_error(e)}"
            shown = [line for line in printed.getvalue().splitlines() if line.strip()]
            if failure is None:
                lines += shown + ([case["success_message"]] if case["success_message"] else [])
            else:
                passed = False
                lines += ([case["failure_message"]] if case["failure_message"] else []) + shown + [failure]
        return CheckResult(question, passed, lines)


def wrap(text, width=100):
    """text with its long lines wrapped at `width` (for a front-end that shows text as it is)."""
    return "\n".join(textwrap.fill(line, width, subsequent_indent="  ") if len(line) > width else line
                     for line in text.splitlines())
