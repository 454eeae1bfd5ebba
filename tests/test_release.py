"""The student release and the autograder are built from solutions/ and the committed copies are in sync."""
import filecmp
import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import build, checks

pytestmark = pytest.mark.release
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("build")
    build.build(tmp / "assignment", tmp / "autograder", tmp / "samples")
    return tmp


def _tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def test_committed_release_equals_a_fresh_build(fresh_build):
    committed, fresh = ROOT / "assignment", fresh_build / "assignment"
    assert _tree(committed) == _tree(fresh)
    different = [f for f in _tree(fresh) if not filecmp.cmp(committed / f, fresh / f, shallow=False)]
    assert not different, f"assignment/ is out of date, run `make assign`: {different}"


def test_committed_reference_zip_and_samples_are_in_sync(fresh_build):
    assert (ROOT / "autograder" / "reference.py").read_text() == (fresh_build / "autograder" / "reference.py").read_text()
    assert (ROOT / "autograder" / "dist" / "tp1_ab-otter.zip").read_bytes() == \
        (fresh_build / "autograder" / "dist" / "tp1_ab-otter.zip").read_bytes()
    assert (ROOT / "autograder" / "dist" / "tp1_ab-gradescope.zip").read_bytes() == \
        (fresh_build / "autograder" / "dist" / "tp1_ab-gradescope.zip").read_bytes(), \
        "the Gradescope zip holds the engine: run `make assign` after changing it"
    samples = ROOT / "examples" / "submissions"
    assert _tree(samples) == _tree(fresh_build / "samples")
    assert all(filecmp.cmp(samples / f, fresh_build / "samples" / f, shallow=False) for f in _tree(samples))


def test_release_has_a_todo_stub_and_a_check_per_question_and_no_solution():
    nb = nbformat.read(ROOT / "assignment" / "tp1_ab.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "0.3 * torch.randn" not in text and "BEGIN SOLUTION" not in text
    graded = [q for q in checks.ORDER if q not in ("circles_accuracy", "mnist_accuracy")]
    for name in graded:
        assert f'grader.check("{name}")' in text, name
        stub = next(c.source for c in nb.cells if c.source.startswith((f"def {name}(", "# TODO: a dict")) and name in c.source)
        assert "TODO" in stub and "..." in stub, name
    # The public tests are in the notebook; the hidden ones are not.
    tests = nb.metadata["otter"]["tests"]
    assert set(tests) == set(graded)
    assert all("hidden=True" not in t for t in tests.values())
    assert "tp1_hidden" not in json.dumps(nb.metadata)


def test_part_order_follows_the_tp():
    nb = nbformat.read(ROOT / "assignment" / "tp1_ab.ipynb", as_version=4)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Part")]
    assert [h.split("—")[0].strip() for h in headings] == [f"## Part {i}" for i in range(1, 7)]


def test_otter_zip_holds_hidden_tests_and_reference_but_the_release_does_not():
    with zipfile.ZipFile(ROOT / "autograder" / "dist" / "tp1_ab-otter.zip") as zf:
        names = zf.namelist()
        assert "files/tp1_hidden/reference.py" in names
        assert "hidden=True" in zf.read("tests/backward.py").decode()
    assert not list((ROOT / "assignment").rglob("tp1_hidden"))
    assert not list((ROOT / "assignment").rglob("reference.py"))


def test_points_in_the_master_come_from_points_toml():
    nb = build.load_master(points={q: 1 for q in checks.ORDER})
    assert all("points: 1" in c.source for c in nb.cells if c.source.startswith("# BEGIN QUESTION"))


def test_every_figure_the_notebook_saves_is_a_known_report_slot_and_vice_versa():
    import re

    from tp1_support import FIGURES

    text = (ROOT / "solutions" / "tp1_ab.py").read_text()
    names = set()
    for name in re.findall(r'"([a-z0-9_{}]+\.(?:pdf|tex))"', text):
        names |= {name.replace("{part}", f"part{i}") for i in range(1, 5)} if "{part}" in name else {name}
    assert names == set(FIGURES)


CHECK_ONE = """
import sys, __main__
import nbformat
release = nbformat.read("tp1_ab.ipynb", as_version=4)
setup = [c.source for c in release.cells if c.cell_type == "code"][:3]  # Otter's init, imports, summary
reference = nbformat.read(sys.argv[1], as_version=4)
for source in setup + [c.source for c in reference.cells if c.cell_type == "code"
                       and c.source.lstrip().startswith("def " + sys.argv[2] + "(")]:
    exec(source, __main__.__dict__)
print(repr(grader.check(sys.argv[2])))
"""


@pytest.mark.parametrize("sample,verdict", [("reference", "passed"), ("unfilled", "failed")])
def test_grader_check_runs_the_public_checks_and_says_the_hidden_tests_come_later(tmp_path, sample, verdict):
    import shutil
    import subprocess
    import sys

    shutil.copy2(ROOT / "assignment" / "tp1_ab.ipynb", tmp_path / "tp1_ab.ipynb")
    shutil.copytree(ROOT / "assignment" / "tp1_support", tmp_path / "tp1_support")
    (tmp_path / "check_one.py").write_text(CHECK_ONE)
    run = subprocess.run([sys.executable, "check_one.py", str(ROOT / "examples" / "submissions" / f"{sample}.ipynb"),
                          "forward"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "All test cases passed" not in run.stdout
    if verdict == "passed":
        assert "all PUBLIC checks passed. The hidden tests run at grading time." in run.stdout
    else:
        assert "Test case failed" in run.stdout and "all PUBLIC checks passed" not in run.stdout
