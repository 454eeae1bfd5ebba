"""The kit's structure, as contracts: the untrusted side (what runs inside the sandbox) imports nothing
of the trusted side, so the code that judges is never code the sandbox could reach; the points file
declares what the grader reads, nothing else."""
import ast
import sys
from pathlib import Path

import pytest

from autograder import config

ROOT = Path(__file__).resolve().parent.parent
UNTRUSTED = ROOT / "autograder" / "untrusted"
# What the sandbox's own path holds: the untrusted modules, its packages (probes/) and the release's
# support package (autograder/pipeline/sandbox.py copies them there).
SIBLINGS = ({p.stem for p in UNTRUSTED.glob("*.py")} | {p.parent.name for p in UNTRUSTED.glob("*/__init__.py")}
            | {"tp1_support"})


def imported_modules(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module or "", node.level


@pytest.mark.parametrize("path", sorted(UNTRUSTED.rglob("*.py")), ids=lambda p: p.relative_to(UNTRUSTED).as_posix())
def test_the_untrusted_side_imports_nothing_of_the_trusted_side(path):
    package = path.parent if path.parent != UNTRUSTED else None
    for line, module, level in imported_modules(path):
        if level:  # a relative import stays inside the untrusted package it is written in, one of its modules
            assert package is not None and level == 1, f"{path.name}:{line}: a relative import reaches the grader's package"
            target = module.split(".")[0] if module else None
            assert target is None or (package / f"{target}.py").is_file(), (
                f"{path.name}:{line}: imports .{module}, which is not a module of {package.name}/")
            continue
        root = module.split(".")[0]
        assert root != "autograder", f"{path.name}:{line}: imports {module}, a module of the grader"
        assert root in SIBLINGS or root in sys.stdlib_module_names or root in {"numpy", "torch", "sklearn",
                                                                                  "matplotlib"}, (
            f"{path.name}:{line}: imports {module}, which the sandbox does not provide")


def test_the_points_file_is_valid_and_an_unknown_key_is_named():
    settings = config.load()
    assert sum(settings.question_points.values()) == 100 and list(settings.question_points) == list(config.QUESTION_IDS)
    assert all(0 <= t.half <= t.full <= 1 for t in settings.thresholds.values())
    with pytest.raises(config.ConfigError, match=r"\[thresholds.fit_svm\] half"):
        config.parse({**_points_table(), "thresholds": {**_points_table()["thresholds"],
                                                         "fit_svm": {"full": 0.8, "half": 0.9}}})
    with pytest.raises(config.ConfigError, match="unknown key.*bonus"):
        config.parse({**_points_table(), "settings": {"summed_gradient_credit": 0.5, "bonus": 1}})
    with pytest.raises(config.ConfigError, match=r"\[questions.backward\] points is missing"):
        table = _points_table()
        del table["questions"]["backward"]
        config.parse(table)


def _points_table():
    import tomllib

    with open(config.POINTS_FILE, "rb") as f:
        return tomllib.load(f)


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def grader_import_graph():
    """{module: the grader's modules it imports, at top level or inside a function} for autograder/
    but the untrusted side (which imports none of them)."""
    modules = {_module_name(p): p for p in (ROOT / "autograder").rglob("*.py") if "untrusted" not in p.parts}
    graph = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join(base + [node.module] if node.module else base)
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    edges.add(sub if sub in modules else target)
            elif isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names}
        graph[name] = {m for m in edges if m in modules and m not in (name, "autograder")}
    return graph


def test_the_graders_modules_import_each_other_without_a_cycle():
    graph, state, stack, cycles = grader_import_graph(), {}, [], []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                cycles.append(" -> ".join(stack[stack.index(other):] + [other]))
            elif other not in state:
                visit(other)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert len(graph) > 30 and graph["autograder.pipeline"]  # the graph was read
    assert cycles == []
