"""The grader parses students' code in several threads at once (`--jobs`): every parse goes through
`autograder.pyparse.parse`, which CPython 3.11's shared AST recursion counter cannot fail."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RACE = Path(__file__).with_name("parse_race.py")


def failed_parses(door):
    out = subprocess.run([sys.executable, str(RACE), door], capture_output=True, text=True, timeout=300, check=True)
    return int(out.stdout.strip())


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the race is CPython 3.11's, the kit's Python")
def test_threads_parsing_at_once_through_the_door_never_fail_where_bare_ast_parse_does():
    bare = next((n for n in (failed_parses("ast") for _ in range(3)) if n), 0)
    assert bare > 0, "the control no longer shows the race: this test proves nothing on this Python"
    assert failed_parses("door") == 0


def test_the_grader_parses_python_only_through_the_door():
    found = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        if path.name == "pyparse.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parse"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "ast"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
