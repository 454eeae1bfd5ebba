"""The grading command end to end, on real submissions: the shipped samples and broken notebooks."""
import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder import checks, config, grade
from autograder.pipeline import sandbox
from autograder.results import PUBLIC_TEST
from submissions import edited, write

pytestmark = pytest.mark.grading  # those marked `check` too are make check's grading (one class, graded once)
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"


def read_grades(out):
    with open(out / "grades.csv") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(SAMPLES), "--out", str(out), "--jobs", "2"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return out


def scores(row):
    return {q: float(row[q]) for q in checks.ORDER}


@pytest.mark.check
def test_reference_gets_full_marks(demo):
    row = read_grades(demo)["reference"]
    assert row["status"] == "graded"
    assert float(row["total"]) == float(row["possible"]) == 100.0
    # No note either: every cell the grader runs from the release's own notebook runs cleanly.
    assert json.loads((demo / "reference" / "results.json").read_text())["output"] == "Status: graded."


@pytest.mark.check
@pytest.mark.parametrize("sample,question,mistake", [
    ("summed_gradients", "backward", "N times too large"),
    ("missing_tanh_derivative", "backward", "tanh derivative missing"),
    ("softmax_wrong_axis", "forward", "SoftMax over the wrong axis"),
    ("broken_svm", "fit_svm", "linear kernel"),
])
def test_each_flawed_sample_loses_points_on_its_question_with_its_diagnosis(demo, sample, question, mistake):
    grades = read_grades(demo)
    row, reference = scores(grades[sample]), scores(grades["reference"])
    assert grades[sample]["status"] == "graded"
    assert row[question] < reference[question]
    # Only the question itself and the accuracy questions, which use the student's functions together.
    lost = {q for q in checks.ORDER if row[q] < reference[q]}
    assert lost <= {question, "circles_accuracy", "mnist_accuracy"}, lost
    results = json.loads((demo / sample / "results.json").read_text())
    output = next(t["output"] for t in results["tests"] if t["name"] == question)
    assert mistake in output


@pytest.mark.check
def test_summed_gradients_keep_the_configured_credit(demo):
    row = scores(read_grades(demo)["summed_gradients"])
    assert row["backward"] == pytest.approx(checks.points("backward") * config.load().summed_gradient_credit)


@pytest.mark.check
def test_unfilled_notebook_gets_zero_and_is_graded(demo):
    row = read_grades(demo)["unfilled"]
    assert row["status"] == "graded" and float(row["total"]) == 0.0


@pytest.mark.check
def test_outputs_follow_the_contract(demo):
    with open(demo / "grades.csv") as f:
        header = next(csv.reader(f))
    assert header == ["submission", "total", "possible", "status", *checks.ORDER, "late", "late_penalty"]
    results = json.loads((demo / "reference" / "results.json").read_text())
    assert results["score"] == 100.0
    assert [t["name"] for t in results["tests"]] == checks.ORDER
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in results["tests"])
    html = (demo / "reference" / "report.html").read_text()
    assert "data:image/png;base64," in html and "100 / 100" in html
    summary = (demo / "summary.html").read_text()
    assert "linear kernel on Circles" in summary and "SoftMax over the wrong axis" in summary


def test_every_student_of_the_batch_is_graded_behind_the_same_walls(demo):
    """Two workers (--jobs 2), each with a cgroup of its own where the machine has them: a second
    worker that could not make its cgroup would grade its students with less of a memory cap."""
    walls = {json.loads((folder / "row.json").read_text())["isolation"]
             for folder in demo.iterdir() if (folder / "row.json").is_file()}
    assert len([folder for folder in demo.iterdir() if (folder / "row.json").is_file()]) == 6
    assert len(walls) == 1, walls


def _notebook(tmp_path, name, replace=None, extra_cells=()):
    return write(edited(replace=[replace] if replace else (), append=extra_cells), tmp_path / f"{name}.ipynb")


def test_broken_inputs_each_get_a_row_and_do_not_disturb_the_others(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(SAMPLES / "reference.ipynb", subs / "good.ipynb")
    (subs / "garbage.ipynb").write_text("{ this is not json")
    with zipfile.ZipFile(subs / "exported.zip", "w") as zf:  # what the export cell makes
        zf.write(SAMPLES / "reference.ipynb", "tp1_ab.ipynb")
    with zipfile.ZipFile(subs / "empty_zip.zip", "w") as zf:
        zf.writestr("notes.txt", "no notebook here")
    _notebook(subs, "top_level_loop", extra_cells=["while True:\n    pass"])  # an experiment cell: not run
    _notebook(subs, "looping_forward", replace=("def forward(params, X):", "def forward(params, X):\n    while True:\n        pass"))
    _notebook(subs, "exits", extra_cells=["import sys\nclass Quit:\n    sys.exit(3)"])
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--jobs", "2"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    grades = read_grades(out)
    assert set(grades) == {"good", "garbage", "exported", "empty_zip", "top_level_loop", "looping_forward", "exits"}
    assert float(grades["good"]["total"]) == 100.0 and grades["good"]["status"] == "graded"
    assert float(grades["exported"]["total"]) == 100.0
    assert float(grades["top_level_loop"]["total"]) == 100.0
    assert grades["garbage"]["status"] == "unreadable" and float(grades["garbage"]["total"]) == 0
    assert grades["empty_zip"]["status"] == "unreadable"
    looping = scores(grades["looping_forward"])
    assert grades["looping_forward"]["status"] == "timeout"
    assert looping["forward"] == 0 and looping["circles_accuracy"] == 0 and looping["backward"] == checks.points("backward")
    feedback = json.loads((out / "looping_forward" / "results.json").read_text())
    assert "longer than" in next(t["output"] for t in feedback["tests"] if t["name"] == "forward")
    # A training that calls the looping forward thousands of times is not started: its budget is not spent.
    assert "not trained: forward took longer than" in next(t["output"] for t in feedback["tests"]
                                                          if t["name"] == "circles_accuracy")
    # A class body that calls sys.exit is code the grader never runs: left out, with a note.
    assert float(grades["exits"]["total"]) == 100.0
    assert any("class Quit" in n and "left out" in n for n in json.loads((out / "exits" / "row.json").read_text())["notes"])


def test_rerun_skips_unchanged_submissions_and_is_deterministic(tmp_path):
    shutil.copy(SAMPLES / "softmax_wrong_axis.ipynb", tmp_path / "s.ipynb")
    first = grade.grade_all([tmp_path / "s.ipynb"], tmp_path / "out", progress=False)
    again = grade.grade_all([tmp_path / "s.ipynb"], tmp_path / "out", progress=False)
    fresh = grade.grade_all([tmp_path / "s.ipynb"], tmp_path / "out2", progress=False, use_cache=False)
    assert again[0].seconds == first[0].seconds  # read back, not regraded
    assert [q.score for q in fresh[0].questions] == [q.score for q in first[0].questions]
    # A reused result's results.json is written again, at the visibility of the run that reuses it.
    later = grade.grade_all([tmp_path / "s.ipynb"], tmp_path / "out", progress=False, visibility="after_published")
    tests = json.loads((tmp_path / "out" / "s" / "results.json").read_text())["tests"]
    assert later[0].cached and later[0].seconds == first[0].seconds
    assert tests[0]["name"] == PUBLIC_TEST and {t["visibility"] for t in tests[1:]} == {"after_published"}


@pytest.mark.check
def test_misuse_exits_non_zero(tmp_path):
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "nope"), "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode != 0 and "no such file" in run.stderr + run.stdout


@pytest.mark.slow
def test_stock_otter_run_gives_the_reference_full_marks(tmp_path):
    """Instructors who use stock Otter: the Otter zip's public and hidden tests pass on the reference."""
    shutil.copy(SAMPLES / "reference.ipynb", tmp_path / "reference.ipynb")
    run = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(ROOT / "autograder" / "dist" / "tp1_ab-otter.zip"),
                          "-o", str(tmp_path), str(tmp_path / "reference.ipynb")],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    scored = [t for t in results["tests"] if "score" in t]  # plus one "Public Tests" summary entry
    assert len(scored) == 15 and all(t["score"] == t["max_score"] for t in scored), scored


@pytest.mark.skipif(not sandbox.bwrap_available(), reason="file-system isolation needs bubblewrap")
def test_student_code_cannot_read_the_reference_nor_write_the_grades(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    _notebook(subs, "snoop", extra_cells=[
        f"REFERENCE = {str(ROOT / 'autograder' / 'reference.py')!r}\nOUT = {str(out)!r}\n"
        "def fit_svm(X, y):\n    return open(REFERENCE).read()\n"
        "def sgd(params, grads, eta):\n    open(OUT + '/grades.csv', 'w').write('snoop,100')\n"])
    shutil.copy(SAMPLES / "reference.ipynb", subs / "other.ipynb")
    grade.grade_all(sorted(subs.iterdir()), out, jobs=2, progress=False)
    grades = read_grades(out)
    assert float(grades["other"]["total"]) == 100.0
    row = scores(grades["snoop"])
    assert row["fit_svm"] == 0 and row["sgd"] == 0
    feedback = {t["name"]: t["output"] for t in json.loads((out / "snoop" / "results.json").read_text())["tests"]}
    assert "FileNotFoundError" in feedback["fit_svm"] or "PermissionError" in feedback["fit_svm"]
    assert "No such file" in feedback["sgd"] or "Permission" in feedback["sgd"] or "Read-only" in feedback["sgd"]


@pytest.mark.check
def test_a_feedback_figure_does_not_depend_on_the_students_drawn_before():
    """The figures are redrawn on one canvas per thread: nothing of a student may show in the next."""
    from autograder import reports

    grids = [np.random.default_rng(seed).normal(size=(1600, 2)) for seed in (0, 1)]
    curves = [np.linspace(1.0, 0.1, 100), np.array([2.0, 1.5, 0.4])]
    first = reports.decision_boundary_png(grids[0], "a"), reports.loss_curve_png(curves[0], "a")
    other = reports.decision_boundary_png(grids[1], "b"), reports.loss_curve_png(curves[1], "b")
    again = reports.decision_boundary_png(grids[0], "a"), reports.loss_curve_png(curves[0], "a")
    assert first == again and first[0] != other[0] and first[1] != other[1]
