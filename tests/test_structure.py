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
SIBLINGS = {p.stem for p in UNTRUSTED.glob("*.py")} | {"tp1_support"}  # on the sandbox's own path


def imported_modules(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module or "", node.level


@pytest.mark.parametrize("path", sorted(UNTRUSTED.glob("*.py")), ids=lambda p: p.name)
def test_the_untrusted_side_imports_nothing_of_the_trusted_side(path):
    for line, module, level in imported_modules(path):
        root = module.split(".")[0]
        assert level == 0, f"{path.name}:{line}: a relative import reaches the grader's package"
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
