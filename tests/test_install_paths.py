"""The grader where instructors actually install it: a symlinked checkout, a symlinked virtual
environment, the kit and its environment under /tmp. Each grades the sample submissions, plus a valid
fit_svm that imports a module the warm worker never loaded, and must give the gradebook of a plain
checkout. A broken install fails once, loudly, and caches nothing; a read-only output folder is
refused before any grading."""
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from submissions import edited, write

pytestmark = pytest.mark.grading
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
VENV = Path(sys.prefix)
PIPELINE_SVM = ('from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler\n\n\n'
                'def fit_svm(X, y):  # a module the warm worker never imported, and a pipeline\n'
                '    import sklearn.cluster  # noqa: F401\n'
                '    return make_pipeline(StandardScaler(), SVC(kernel="rbf")).fit(np.asarray(X), np.asarray(y))\n')


def _class(folder):
    """The samples and a pipeline SVM, in folder."""
    folder.mkdir(parents=True)
    for sample in ("reference", "summed_gradients", "broken_svm"):
        shutil.copy(SAMPLES / f"{sample}.ipynb", folder)
    write(edited(append=[PIPELINE_SVM]), folder / "pipeline_svm.ipynb")
    return folder


def _grade(python, kit, subs, out):
    run = subprocess.run([str(python), "-m", "autograder", "grade", str(subs), "--out", str(out), "--jobs", "1"],
                         capture_output=True, text=True, cwd=kit, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "grades.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def _kit_copy(dest):
    """The kit's tracked files, as a fresh clone has them (no environment)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, archive.decode().split("\0")):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    return dest


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    base = tmp_path_factory.mktemp("plain")
    return _grade(sys.executable, ROOT, _class(base / "subs"), base / "out")


def test_the_plain_checkout_gives_the_pipeline_svm_full_marks(plain):
    assert float(plain["pipeline_svm"]["total"]) == 100.0 and plain["pipeline_svm"]["status"] == "graded"
    assert float(plain["reference"]["total"]) == 100.0


def test_a_symlinked_checkout_grades_the_same(plain, tmp_path):
    link = tmp_path / "home-link"  # as /home -> /data/home on many campuses
    link.symlink_to(ROOT)
    python = link / VENV.relative_to(ROOT) / "bin" / "python" if VENV.is_relative_to(ROOT) else Path(sys.executable)
    assert _grade(python, link, _class(tmp_path / "subs"), tmp_path / "out") == plain


def test_a_symlinked_virtual_environment_grades_the_same(plain, tmp_path):
    link = tmp_path / "venv-link"
    link.symlink_to(VENV)
    assert _grade(link / "bin" / "python", ROOT, _class(tmp_path / "subs"), tmp_path / "out") == plain


def test_a_kit_and_environment_under_tmp_grade_the_same(plain):
    """The job's /tmp is a fresh tmpfs: a kit (and its virtual environment) installed under /tmp must
    still be visible there, every module of it importable."""
    base = Path(tempfile.mkdtemp(prefix="tp1-kit-", dir="/tmp"))
    try:
        kit = _kit_copy(base / "kit")
        venv = kit / ".venv"
        if VENV.stat().st_dev == base.stat().st_dev:  # hard links: the environment costs no space
            subprocess.run(["cp", "-al", str(VENV), str(venv)], check=True)
        else:
            subprocess.run(["cp", "-a", str(VENV), str(venv)], check=True)
        assert _grade(venv / "bin" / "python", kit, _class(base / "subs"), base / "out") == plain
    finally:
        shutil.rmtree(base, ignore_errors=True)


BROKEN_WORKER = "raise ImportError('this worker is broken: a package is missing')\n"
WRAPPER = """import sys
from pathlib import Path
from autograder.pipeline.sandbox import paths
if sys.argv[1] == 'broken':
    paths.UNTRUSTED = Path(sys.argv[2])
from autograder.cli import main
sys.exit(main(sys.argv[3:]))
"""


def test_a_broken_install_fails_once_loudly_and_caches_nothing(tmp_path):
    broken = tmp_path / "untrusted"
    shutil.copytree(ROOT / "autograder" / "untrusted", broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "worker.py").write_text(BROKEN_WORKER)
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for sample in ("reference", "summed_gradients"):
        shutil.copy(SAMPLES / f"{sample}.ipynb", subs)
    command = [sys.executable, "-c", WRAPPER]
    run = subprocess.run(command + ["broken", str(broken), "grade", str(subs), "--out", str(out), "--jobs", "1"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode != 0
    assert run.stderr.count("the grader cannot run here") == 1 and "this worker is broken" in run.stderr
    assert not (out / "grades.csv").exists() and not list(out.rglob(".cache-key")) and not list(out.rglob("row.json"))
    fixed = subprocess.run(command + ["fixed", "", "grade", str(subs), "--out", str(out), "--jobs", "1"],
                           capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert "reused" not in fixed.stdout
    with open(out / "grades.csv", newline="") as f:
        grades = {row["submission"]: row for row in csv.DictReader(f)}
    assert float(grades["reference"]["total"]) == 100.0 and grades["summed_gradients"]["status"] == "graded"


def test_an_output_folder_that_cannot_be_written_is_refused_before_grading(tmp_path):
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(SAMPLES), "--out", "/proc/tp1-out"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2
    assert "not writable" in run.stderr and "/proc/tp1-out" in run.stderr
    assert "Traceback" not in run.stderr and "gradebook:" not in run.stdout  # refused before any grading
